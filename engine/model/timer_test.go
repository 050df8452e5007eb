package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/engine/model"
)

func TestParseTimerReadsDatesDurationsAndCycles(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		kind, text string
		// fires lists the occurrences, each computed from the previous one as it fired on time.
		fires []time.Time
	}{
		{"date", "2030-01-02T09:00:00Z", []time.Time{at("2030-01-02T09:00:00Z")}},
		{"date", "2030-01-02T09:00:00", []time.Time{at("2030-01-02T09:00:00Z")}},
		{"duration", "PT10M", []time.Time{now.Add(10 * time.Minute)}},
		{"duration", "P1DT2H", []time.Time{now.Add(26 * time.Hour)}},
		{"cycle", "R3/PT10M", []time.Time{now.Add(10 * time.Minute), now.Add(20 * time.Minute), now.Add(30 * time.Minute)}},
		{"cycle", "R2/2030-01-01T10:00:00Z/PT1H", []time.Time{at("2030-01-01T10:00:00Z"), at("2030-01-01T11:00:00Z")}},
		// Quartz (Camunda) with ? and a year of *, Spring (Zeebe), Unix cron.
		{"cycle", "0 0 9 ? * MON-FRI *", []time.Time{at("2030-01-01T09:00:00Z"), at("2030-01-02T09:00:00Z"), at("2030-01-03T09:00:00Z")}},
		{"cycle", "0 30 8 * * *", []time.Time{at("2030-01-01T08:30:00Z"), at("2030-01-02T08:30:00Z")}},
		{"cycle", "*/15 * * * *", []time.Time{at("2030-01-01T08:15:00Z"), at("2030-01-01T08:30:00Z")}},
		{"cycle", "CRON_TZ=Europe/Berlin 0 0 10 * * MON-FRI", []time.Time{at("2030-01-01T09:00:00Z"), at("2030-01-02T09:00:00Z")}},
	} {
		spec, err := model.ParseTimer(tc.kind, tc.text)
		if err != nil {
			t.Errorf("%s %q: %v", tc.kind, tc.text, err)
			continue
		}
		var got []time.Time
		next, ok := spec.First(now), true
		for ok && len(got) < len(tc.fires) {
			got = append(got, next)
			next, ok = spec.Next(next, next, len(got))
		}
		if len(got) != len(tc.fires) || ok && spec.Repeat > 0 {
			t.Errorf("%s %q: fires %v (more: %v), want %v", tc.kind, tc.text, got, ok, tc.fires)
			continue
		}
		for i := range got {
			if !got[i].Equal(tc.fires[i]) {
				t.Errorf("%s %q: occurrence %d at %v, want %v", tc.kind, tc.text, i+1, got[i], tc.fires[i])
			}
		}
	}
}

func TestATimerCycleThatMissedOccurrencesFiresOnceAfterNow(t *testing.T) {
	t.Parallel()
	spec, err := model.ParseTimer("cycle", "R/PT10M")
	if err != nil {
		t.Fatal(err)
	}
	prev := time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)
	now := prev.Add(35 * time.Minute) // three occurrences passed while nobody ran
	next, ok := spec.Next(prev, now, 1)
	if !ok || !next.Equal(prev.Add(40*time.Minute)) {
		t.Fatalf("next %v %v, want the first occurrence after now, %v", next, ok, prev.Add(40*time.Minute))
	}
	if _, ok := spec.Next(prev, prev, 1000); !ok {
		t.Fatal("R/ stopped; want it without end")
	}
}

func TestParseTimerNamesWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kind, text, want string }{
		{"date", "tomorrow", `"tomorrow" is not an ISO 8601 date-time`},
		{"duration", "P1M", `unit 'M' is not supported`},
		{"duration", "10 minutes", `not an ISO 8601 duration`},
		{"cycle", "R0/PT1M", `not a repeat count of at least 1`},
		{"cycle", "R3/PT0S", `interval must be longer than zero`},
		{"cycle", "R3/2030-01-01/2030-02-01/PT1H", `want R[n]/duration or R[n]/start/duration`},
		{"cycle", "0 0 9 ? * 2-6", `write the day of week as names`},
		{"cycle", "0 0 9 ? * MON 2031", `a cron year field is not supported`},
		{"cycle", "0 0 9 L * ?", `want an ISO 8601 repeating interval (R3/PT10M) or a cron expression`},
	} {
		_, err := model.ParseTimer(tc.kind, tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: error %v, want it to say %q", tc.kind, tc.text, err, tc.want)
		}
	}
}
