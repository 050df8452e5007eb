package baton

import "github.com/batonhq/baton/queue"

// RedactURL hides the passwords in a URL or a comma-separated list of URLs, so connection errors
// and logs never carry secrets.
func RedactURL(s string) string { return queue.RedactURLs(s) }
