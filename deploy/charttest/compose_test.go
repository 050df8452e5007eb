package charttest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeFile is the local cluster's Compose file, relative to this package.
const composeFile = "../compose.yaml"

// TestCompose loads deploy/compose.yaml with the Compose Specification's own loader, which
// validates it against the specification's schema, and checks the cluster it describes: three
// NATS nodes and Redis, which the server and both worker services depend on, and a NATS seed
// list naming all three nodes.
func TestCompose(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(abs)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("deploy/compose.yaml does not exist: the local cluster (3 NATS nodes, Redis, baton-server, workers-order, workers-shipment) has to be described there")
	}
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: content}},
		// No variables from the environment of the test: the file must work with its defaults.
		Environment: types.Mapping{},
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("baton", true)
	})
	if err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}

	nats := []string{"nats-1", "nats-2", "nats-3"}
	for _, name := range append(nats, "redis", "baton-server", "workers-order", "workers-shipment") {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("deploy/compose.yaml: no service %s (services: %v)", name, keys(project.Services))
		}
	}
	for _, name := range []string{"baton-server", "workers-order", "workers-shipment"} {
		svc, ok := project.Services[name]
		if !ok {
			continue
		}
		for _, dep := range append(nats, "redis") {
			if _, ok := svc.DependsOn[dep]; !ok {
				t.Errorf("deploy/compose.yaml: %s does not depend on %s", name, dep)
			}
		}
		url := svc.Environment["BATON_NATS_URL"]
		if url == nil {
			t.Errorf("deploy/compose.yaml: %s has no BATON_NATS_URL", name)
			continue
		}
		listed := map[string]bool{}
		for _, u := range strings.Split(*url, ",") {
			host, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(u), "nats://"), ":")
			listed[host] = true
		}
		for _, n := range nats {
			if !listed[n] {
				t.Errorf("deploy/compose.yaml: %s's BATON_NATS_URL %q does not list %s", name, *url, n)
			}
		}
	}
}
