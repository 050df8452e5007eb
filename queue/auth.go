package queue

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
)

// TLSFiles names the PEM files of a TLS connection. The zero value means no TLS settings (a
// tls:// or rediss:// URL still uses TLS with the system's roots).
type TLSFiles struct {
	// CA is a CA bundle to trust instead of the system's roots. Default none.
	CA string
	// Cert and Key are a client certificate and its key, for mutual TLS. Default none.
	Cert, Key string
}

// Set reports whether any file is named.
func (t TLSFiles) Set() bool { return t.CA != "" || t.Cert != "" || t.Key != "" }

// Config builds a TLS configuration from the files. The errors name the file.
func (t TLSFiles) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate in it", t.CA)
		}
		c.RootCAs = pool
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, errors.New("TLS: give both a client certificate and its key, or neither")
	}
	if t.Cert != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s: %w", t.Cert, err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// authOptions turns the credential and TLS settings of c into NATS options. At most one way
// of authenticating may be given besides the URL's own user info.
func (c Config) authOptions() ([]nats.Option, error) {
	var opts []nats.Option
	ways := 0
	if c.User != "" || c.Password != "" {
		if c.User == "" {
			return nil, errors.New("nats: a password needs a user")
		}
		opts = append(opts, nats.UserInfo(c.User, c.Password))
		ways++
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
		ways++
	}
	if c.NKeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed file %s: %w", c.NKeySeedFile, err)
		}
		opts = append(opts, o)
		ways++
	}
	if c.CredsFile != "" {
		if _, err := os.Stat(c.CredsFile); err != nil {
			return nil, fmt.Errorf("nats credentials file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(c.CredsFile))
		ways++
	}
	if ways > 1 {
		return nil, errors.New("nats: give one of user and password, token, nkey seed file or credentials file")
	}
	if c.TLS.Set() {
		tc, err := c.TLS.Config()
		if err != nil {
			return nil, fmt.Errorf("nats: %w", err)
		}
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

// RedactURLs hides the passwords in a URL or a comma-separated list of URLs, so that errors and
// logs never carry secrets.
func RedactURLs(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			parts[i] = "<unparsable url>"
			continue
		}
		if u.User != nil {
			if _, has := u.User.Password(); !has {
				u.User = url.User("xxxxx") // a token given as the user
			}
		}
		parts[i] = u.Redacted()
	}
	return strings.Join(parts, ",")
}
