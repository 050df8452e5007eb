package bench

import (
	"context"
	"strings"
	"testing"
)

func TestABenchRoundRunsOnLocalNATSAndRedisClusters(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	rep, err := Run(context.Background(), Config{Instances: 10, Tasks: 3, Rounds: 1, NATSNodes: 3, RedisNodes: 3, Out: &out})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	// 10 instances a round × 5 (Total's default) × 3 tasks, each task one continuation or more.
	if rep.Engine.Hops < 150 || rep.Floor.Hops < 150 {
		t.Fatalf("engine %d continuations, floor %d hops; want both >= 150\n%s", rep.Engine.Hops, rep.Floor.Hops, out.String())
	}
	for _, want := range []string{"3 embedded nodes, streams R3", "Redis Cluster of 3 masters", "engine (median):"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
