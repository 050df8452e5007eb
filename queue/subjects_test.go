package queue

import (
	"strings"
	"testing"
	"unicode"
)

func TestEncodeTokenIsOneSafeTokenAndReversible(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"charge", "charge"},
		{"com.acme.Charge", "com~2Eacme~2ECharge"},
		{"_engine", "_engine"},
		{"a b*c>d/e\\f~", "a~20b~2Ac~3Ed~2Fe~5Cf~7E"},
		{"", "~"},
		{"zahlung-prüfen", "zahlung-pr~C3~BCfen"},
	} {
		got := EncodeToken(tc.in)
		if got != tc.want {
			t.Errorf("EncodeToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := DecodeToken(got)
		if err != nil || back != tc.in {
			t.Errorf("DecodeToken(%q) = %q, %v; want %q", got, back, err, tc.in)
		}
	}
	if got := JobSubject("com.acme.Charge"); got != "baton.jobs.com~2Eacme~2ECharge" {
		t.Errorf("JobSubject = %q", got)
	}
	if got := JobConsumerName("com.acme.Charge"); got != "w-com~2Eacme~2ECharge" {
		t.Errorf("JobConsumerName = %q", got)
	}
}

func TestDecodeTokenRejectsMalformedEscapes(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"a~", "a~2", "a~ZZ"} {
		if _, err := DecodeToken(in); err == nil {
			t.Errorf("DecodeToken(%q) accepted a malformed escape", in)
		}
	}
}

func FuzzEncodeToken(f *testing.F) {
	for _, s := range []string{"", "com.acme.Charge", "a b", "~", "*>", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := EncodeToken(s)
		if tok == "" || strings.ContainsAny(tok, ".*>/\\") || strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
			t.Fatalf("EncodeToken(%q) = %q is not one safe token", s, tok)
		}
		back, err := DecodeToken(tok)
		if err != nil || back != s {
			t.Fatalf("round trip of %q: %q, %v", s, back, err)
		}
	})
}
