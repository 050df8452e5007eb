package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy is how often a failing job runs and how long it waits between runs.
type RetryPolicy struct {
	// Attempts is how many times the job runs in all before it raises an incident (at least 1).
	Attempts int
	// Delays are the waits before the second, third, ... attempt; the last repeats. Empty: the
	// engine's default backoff.
	Delays []time.Duration
}

// Delay returns the wait after failed attempt n (1 for the first), and false when the policy
// leaves it to the engine's default backoff.
func (p *RetryPolicy) Delay(n int) (time.Duration, bool) {
	if len(p.Delays) == 0 {
		return 0, false
	}
	return p.Delays[min(max(n, 1), len(p.Delays))-1], true
}

// ParseRetryCycle reads a failed-job retry time cycle as Camunda writes it: "R5/PT5M" (5
// attempts in all, 5 minutes apart) or a list of intervals "PT10S,PT1M,PT10M" (an attempt, then
// one more after each interval: 4 in all).
func ParseRetryCycle(text string) (*RetryPolicy, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "${") || strings.HasPrefix(text, "#{") || strings.HasPrefix(text, "=") {
		return nil, fmt.Errorf("retry cycle %q: expressions are not supported; write R5/PT5M or PT10S,PT1M", text)
	}
	if rep, dur, ok := strings.Cut(text, "/"); ok && strings.HasPrefix(strings.ToUpper(rep), "R") {
		n, err := strconv.Atoi(rep[1:])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("retry cycle %q: %q is not a number of attempts of at least 1 (write R5/PT5M)", text, rep)
		}
		d, err := ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("retry cycle %q: %w", text, err)
		}
		return &RetryPolicy{Attempts: n, Delays: []time.Duration{d}}, nil
	}
	p := &RetryPolicy{Attempts: 1}
	for _, part := range strings.Split(text, ",") {
		d, err := ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("retry cycle %q: want R5/PT5M or a list of intervals such as PT10S,PT1M: %w", text, err)
		}
		p.Delays = append(p.Delays, d)
		p.Attempts++
	}
	return p, nil
}
