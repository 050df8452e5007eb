package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Timer is a parsed timer event definition: when it fires first, and, for a cycle, when again.
// The zero value is not a valid timer; use ParseTimer.
type Timer struct {
	// Kind is "date", "duration" or "cycle".
	Kind string
	// At is a date timer's time.
	At time.Time
	// Every is a duration timer's duration, or an ISO 8601 cycle's interval.
	Every time.Duration
	// Repeat is how many times an ISO 8601 cycle fires (R3: 3); 0 means without end (R/ and
	// cron cycles).
	Repeat int
	// Begin is an ISO 8601 cycle's start date (R3/2030-01-01T09:00:00Z/PT1H), when it fires
	// first; zero: one interval after the timer is armed.
	Begin time.Time
	// Cron is set on a cron cycle.
	Cron cron.Schedule
}

// cronParser reads Unix cron (5 fields) and Quartz or Spring cron with seconds (6 fields, a
// seventh year field of * or ? is dropped). "?" means any; descriptors such as @daily work.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseTimer parses a timer's time as modelled: kind "date" (an ISO 8601 date-time), "duration"
// (an ISO 8601 duration of weeks, days, hours, minutes and seconds) or "cycle" (an ISO 8601
// repeating interval R[n]/[start/]duration, or a cron expression). The error says what is wrong
// and what to write instead.
func ParseTimer(kind, text string) (*Timer, error) {
	text = strings.TrimSpace(text)
	switch kind {
	case "date":
		at, err := ParseDate(text)
		if err != nil {
			return nil, fmt.Errorf("timer date: %w", err)
		}
		return &Timer{Kind: kind, At: at}, nil
	case "duration":
		d, err := ParseDuration(text)
		if err != nil {
			return nil, fmt.Errorf("timer duration: %w", err)
		}
		return &Timer{Kind: kind, Every: d}, nil
	case "cycle":
		if strings.HasPrefix(strings.ToUpper(text), "R") && strings.Contains(text, "/") {
			return parseRepeating(text)
		}
		sched, err := parseCron(text)
		if err != nil {
			return nil, err
		}
		return &Timer{Kind: kind, Cron: sched}, nil
	}
	return nil, fmt.Errorf("timer kind %q: want a timeDate, timeDuration or timeCycle", kind)
}

// parseRepeating reads "R[n]/duration" or "R[n]/start/duration".
func parseRepeating(text string) (*Timer, error) {
	parts := strings.Split(text, "/")
	t := &Timer{Kind: "cycle"}
	if n := parts[0][1:]; n != "" {
		c, err := strconv.Atoi(n)
		if err != nil || c < 1 {
			return nil, fmt.Errorf("timer cycle %q: %q is not a repeat count of at least 1 (write R3, or R for without end)", text, parts[0])
		}
		t.Repeat = c
	}
	switch len(parts) {
	case 2:
	case 3:
		begin, err := ParseDate(parts[1])
		if err != nil {
			return nil, fmt.Errorf("timer cycle %q: start: %w", text, err)
		}
		t.Begin = begin
	default:
		return nil, fmt.Errorf("timer cycle %q: want R[n]/duration or R[n]/start/duration, such as R3/PT10M", text)
	}
	d, err := ParseDuration(parts[len(parts)-1])
	if err != nil {
		return nil, fmt.Errorf("timer cycle %q: %w", text, err)
	}
	if d <= 0 {
		return nil, fmt.Errorf("timer cycle %q: the interval must be longer than zero", text)
	}
	t.Every = d
	return t, nil
}

// parseCron reads a cron cycle, in UTC unless it starts with CRON_TZ=<zone> (such as
// CRON_TZ=Europe/Berlin 0 0 9 * * MON-FRI). A numeric day of week is refused in the 6-field form, because
// Quartz (Camunda) counts Sunday as 1 and Spring (Zeebe) as 0 or 7: names (MON-FRI) mean the
// same in both.
func parseCron(text string) (cron.Schedule, error) {
	fields := strings.Fields(text)
	zone := ""
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "CRON_TZ=") || strings.HasPrefix(fields[0], "TZ=")) {
		zone, fields = fields[0]+" ", fields[1:]
	}
	if len(fields) == 7 {
		if fields[6] != "*" && fields[6] != "?" {
			return nil, fmt.Errorf("timer cycle %q: a cron year field is not supported; write * or leave it out", text)
		}
		fields = fields[:6]
	}
	if len(fields) == 6 && strings.ContainsAny(fields[5], "0123456789") {
		return nil, fmt.Errorf("timer cycle %q: write the day of week as names (MON-FRI): Quartz counts Sunday as 1, Spring and Unix cron as 0", text)
	}
	sched, err := cronParser.Parse(zone + strings.Join(fields, " "))
	if err != nil {
		return nil, fmt.Errorf("timer cycle %q: want an ISO 8601 repeating interval (R3/PT10M) or a cron expression (0 0 9 ? * MON-FRI): %w", text, err)
	}
	return sched, nil
}

// First returns when the timer, armed at now, fires first.
func (t *Timer) First(now time.Time) time.Time {
	switch {
	case t.Kind == "date":
		return t.At
	case t.Cron != nil:
		return t.Cron.Next(now.UTC())
	case !t.Begin.IsZero():
		return t.Begin
	}
	return now.Add(t.Every)
}

// Next returns when a cycle fires again after it fired at prev, fired times in all, and whether
// it does. Occurrences that passed while nobody ran (now is past them) collapse into the next
// one after now, so a cycle catching up fires once, not once per missed occurrence.
func (t *Timer) Next(prev, now time.Time, fired int) (time.Time, bool) {
	if t.Kind != "cycle" || t.Repeat > 0 && fired >= t.Repeat {
		return time.Time{}, false
	}
	if t.Cron != nil {
		return t.Cron.Next(later(prev, now).UTC()), true
	}
	next := prev.Add(t.Every)
	if next.Before(now) {
		next = next.Add(now.Sub(next).Truncate(t.Every) + t.Every)
	}
	return next, true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ParseDate parses an ISO 8601 date-time: RFC 3339 (2030-01-01T09:00:00Z), or without a zone
// (then UTC), or a date alone (its midnight, UTC).
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time such as 2030-01-01T09:00:00Z", s)
}

// ParseDuration parses an ISO 8601 duration of weeks, days, hours, minutes and seconds
// (PT10M, P1DT2H, PT0.5S). Years and months are refused: their length depends on the date.
func ParseDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "P")
	if !ok || rest == "" {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration such as PT10M", s)
	}
	units := map[byte]time.Duration{'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}
	timeUnits := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
	var total time.Duration
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			inTime, rest = true, rest[1:]
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration such as PT10M", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration such as PT10M", s)
		}
		table := units
		if inTime {
			table = timeUnits
		}
		unit, ok := table[rest[i]]
		if !ok {
			return 0, fmt.Errorf("%q: unit %q is not supported in an ISO 8601 duration (years and months are not: write weeks or days)", s, rest[i])
		}
		total += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	return total, nil
}
