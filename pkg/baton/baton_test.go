package baton_test

import (
	"slices"
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
