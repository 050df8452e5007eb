package baton

import "net/url"

// RedactURL hides a password in a URL, so connection errors never log secrets.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable url>"
	}
	return u.Redacted()
}
