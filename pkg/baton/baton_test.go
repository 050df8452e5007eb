package baton_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/pkg/baton"
)

// Not parallel: it sets the environment.
func TestConfigFromEnvReadsTheExternalTaskTypes(t *testing.T) {
	t.Setenv(baton.EnvExternalTypes, " archive, ,invoice.print ")
	got := baton.ConfigFromEnv(baton.Config{}).Engine.ExternalTaskTypes
	if !slices.Equal(got, []string{"archive", "invoice.print"}) {
		t.Fatalf("from the environment: %q", got)
	}
	var cfg baton.Config
	cfg.Engine.ExternalTaskTypes = []string{"flag"}
	if got := baton.ConfigFromEnv(cfg).Engine.ExternalTaskTypes; !slices.Equal(got, []string{"flag"}) {
		t.Fatalf("a set value is kept: %q", got)
	}
}

// Not parallel: it sets environment variables.
func TestDurabilityVariablesThatDoNotParseAreNamedByConnect(t *testing.T) {
	t.Setenv(baton.EnvRedisWaitReplicas, "two")
	t.Setenv(baton.EnvRedisWaitTimeout, "soon")
	t.Setenv(baton.EnvNATSReplicas, "3")
	cfg := baton.ConfigFromEnv(baton.Config{})
	if cfg.Queue.Replicas != 3 {
		t.Errorf("BATON_NATS_REPLICAS=3 gave Queue.Replicas %d", cfg.Queue.Replicas)
	}
	_, err := baton.Connect(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), `BATON_REDIS_WAIT_REPLICAS="two"`) || !strings.Contains(err.Error(), `BATON_REDIS_WAIT_TIMEOUT="soon"`) {
		t.Fatalf("connect: %v; want both variables named", err)
	}
}
