package charttest

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// stackChart is what the tests read of helm/baton-stack's Chart.yaml.
type stackChart struct {
	Dependencies []struct {
		Name       string `json:"name"`
		Version    string `json:"version"`
		Repository string `json:"repository"`
		Condition  string `json:"condition"`
	} `json:"dependencies"`
}

// TestStackDependsOnNATSAndRedisOffByDefault checks the umbrella chart's dependencies: the
// baton chart of this repository, and the official NATS chart and a Redis chart, each behind a
// condition that its values leave false.
func TestStackDependsOnNATSAndRedisOffByDefault(t *testing.T) {
	t.Parallel()
	var chart stackChart
	readYAML(t, filepath.Join(stackDir, "Chart.yaml"), &chart)
	var values map[string]map[string]any
	readYAML(t, filepath.Join(stackDir, "values.yaml"), &values)
	want := map[string]struct{ repo, condition string }{
		"baton": {"file://../baton", ""},
		"nats":  {"https://nats-io.github.io/k8s/helm/charts/", "nats.enabled"},
		"redis": {"oci://registry-1.docker.io/bitnamicharts", "redis.enabled"},
	}
	if len(chart.Dependencies) != len(want) {
		t.Fatalf("dependencies %+v; want baton, nats and redis", chart.Dependencies)
	}
	for _, d := range chart.Dependencies {
		w, ok := want[d.Name]
		if !ok || d.Repository != w.repo || d.Condition != w.condition {
			t.Errorf("dependency %+v; want repository %q, condition %q", d, w.repo, w.condition)
			continue
		}
		if d.Condition != "" && values[d.Name]["enabled"] != false {
			t.Errorf("%s: values say %v; want the dependency off by default", d.Condition, values[d.Name]["enabled"])
		}
	}
	if chart.Dependencies[0].Version != chartVersionOf(t, chartDir) {
		t.Errorf("baton-stack depends on baton %s; the chart is %s", chart.Dependencies[0].Version, chartVersionOf(t, chartDir))
	}
}

// TestStackConnectsBatonToItsNATSAndRedis renders the umbrella chart with stand-ins for the
// NATS and Redis charts (CI cannot fetch them) and both enabled, and checks that the baton
// chart's values reach it: NATS's and Redis's Services and Redis's generated Secret.
func TestStackConnectsBatonToItsNATSAndRedis(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "baton-stack")
	copyDir(t, stackDir, dir)
	copyDir(t, chartDir, filepath.Join(dir, "charts", "baton"))
	for name, version := range map[string]string{"nats": "1.2.0", "redis": "20.0.0"} {
		stub := filepath.Join(dir, "charts", name)
		if err := os.MkdirAll(stub, 0o755); err != nil {
			t.Fatal(err)
		}
		doc := "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n"
		if err := os.WriteFile(filepath.Join(stub, "Chart.yaml"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := helmTemplateOf(dir, inlineValues(t, "nats: {enabled: true}\nredis: {enabled: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, m)
	c := containerOf(t, deployment(t, m, "baton-server"))
	wantEnv(t, c, map[string]string{
		"BATON_NATS_URL":      "nats://nats:4222",
		"BATON_NATS_REPLICAS": "3",
		"BATON_REDIS_URL":     "redis://redis-master:6379",
	})
	wantSecretRef(t, c, "BATON_REDIS_PASSWORD", "redis", "redis-password")
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// chartVersionOf reads a chart's version.
func chartVersionOf(t *testing.T, dir string) string {
	t.Helper()
	var c struct {
		Version string `json:"version"`
	}
	readYAML(t, filepath.Join(dir, "Chart.yaml"), &c)
	return c.Version
}

// copyDir copies the regular files under src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}
