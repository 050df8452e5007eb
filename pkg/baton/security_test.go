package baton_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/localserver"
)

// secured starts a NATS server and a redis-server that both require a password (and NATS TLS
// when tlsDir is set, with its files there), and returns their URLs.
func secured(t *testing.T, tlsDir string) (natsURL, redisURL string) {
	t.Helper()
	r, err := localserver.StartRedis(context.Background(), localserver.RedisOptions{Args: []string{"--requirepass", "redis-s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	n, err := localserver.StartNATS(localserver.NATSOptions{Port: -1, StoreDir: t.TempDir(), Configure: func(o *server.Options) {
		o.Username, o.Password = "ann", "nats-s3cret"
		if tlsDir != "" {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: filepath.Join(tlsDir, "server.pem"),
				KeyFile: filepath.Join(tlsDir, "server-key.pem")})
			if err != nil {
				t.Fatal(err)
			}
			o.TLSConfig, o.TLSVerify = tc, false
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
	return n.URL, r.URL
}

func connect(cfg baton.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := baton.Connect(ctx, cfg)
	if err == nil {
		c.Close()
	}
	return err
}

func TestCredentialsAuthenticateAndNeverShowInErrors(t *testing.T) {
	t.Parallel()
	natsURL, redisURL := secured(t, "")
	good := baton.Config{NATSURL: natsURL, RedisURL: redisURL, RedisPassword: "redis-s3cret"}
	good.Queue.User, good.Queue.Password = "ann", "nats-s3cret"
	if err := connect(good); err != nil {
		t.Fatalf("with the right credentials: %v", err)
	}
	// Wrong passwords fail, and the errors carry no password.
	badRedis := good
	badRedis.RedisURL = strings.Replace(redisURL, "redis://", "redis://:wrong-redis-pw@", 1)
	badRedis.RedisPassword = ""
	badNATS := good
	badNATS.NATSURL = strings.Replace(natsURL, "nats://", "nats://ann:wrong-nats-pw@", 1)
	badNATS.Queue.User, badNATS.Queue.Password = "", ""
	for name, cfg := range map[string]baton.Config{"redis": badRedis, "nats": badNATS} {
		err := connect(cfg)
		if err == nil {
			t.Fatalf("%s: a wrong password connected", name)
		}
		if strings.Contains(err.Error(), "wrong-") || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("%s: the error shows a password: %v", name, err)
		}
	}
	// A URL the parser refuses: its error would quote the password.
	unparsable := good
	unparsable.RedisURL = "redis://user:s3cr%t@localhost:6379/0"
	unparsable.NATSURL = "nats://ann:s3cr%t@localhost:4222"
	if err := connect(unparsable); err == nil || strings.Contains(err.Error(), "s3cr") {
		t.Fatalf("an unparsable redis url: %v", err)
	}
	unparsable.RedisURL = redisURL
	if err := connect(unparsable); err == nil || strings.Contains(err.Error(), "s3cr") {
		t.Fatalf("an unparsable nats url: %v", err)
	}
	// One way of authenticating at a time.
	two := good
	two.Queue.Token = "t"
	if err := connect(two); err == nil || !strings.Contains(err.Error(), "give one of") {
		t.Fatalf("user and token: %v", err)
	}
}

func TestNATSOverTLSVerifiesTheServerWithTheGivenCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeCerts(t, dir)
	natsURL, redisURL := secured(t, dir)
	cfg := baton.Config{NATSURL: natsURL, RedisURL: redisURL, RedisPassword: "redis-s3cret"}
	cfg.Queue.User, cfg.Queue.Password = "ann", "nats-s3cret"
	if err := connect(cfg); err == nil {
		t.Fatal("connected over TLS without trusting the server's CA")
	}
	cfg.Queue.TLS = baton.TLSFiles{CA: filepath.Join(dir, "ca.pem")}
	if err := connect(cfg); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	cfg.Queue.TLS = baton.TLSFiles{CA: filepath.Join(dir, "nope.pem")}
	if err := connect(cfg); err == nil || !strings.Contains(err.Error(), "TLS CA file") {
		t.Fatalf("a missing CA file: %v", err)
	}
}

// writeCerts writes a CA (ca.pem) and a server certificate for 127.0.0.1 signed by it
// (server.pem, server-key.pem) into dir.
func writeCerts(t *testing.T, dir string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "baton test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	for name, block := range map[string]*pem.Block{"ca.pem": {Type: "CERTIFICATE", Bytes: caDER},
		"server.pem": {Type: "CERTIFICATE", Bytes: srvDER}, "server-key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
