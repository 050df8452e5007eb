package charttest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestRenderings renders the chart with every values file of testdata and with deploy/k8s's,
// decodes every document strictly, and checks the invariants on each.
func TestRenderings(t *testing.T) {
	t.Parallel()
	files := append(testdataFiles(t), filepath.Join(k8sDir, k8sValuesFile))
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			m := render(t, f)
			if len(m.deployments) == 0 {
				t.Fatal("no Deployments")
			}
			checkInvariants(t, m)
		})
	}
}

// TestMinimal checks the defaults: a server of two replicas reaching NATS and Redis at the
// given URLs, with its Service, PDB and ServiceAccount, and nothing else.
func TestMinimal(t *testing.T) {
	t.Parallel()
	m := render(t, "testdata/minimal.yaml")
	d := deployment(t, m, "baton-server")
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("server replicas %v, want 2", d.Spec.Replicas)
	}
	c := containerOf(t, d)
	if c.Image != "ghcr.io/batonhq/baton:"+appVersion(t) {
		t.Errorf("image %s, want ghcr.io/batonhq/baton:%s", c.Image, appVersion(t))
	}
	if len(c.Command) != 0 || len(c.Args) == 0 || c.Args[0] != "server" {
		t.Errorf("command %v args %v, want the image's entrypoint with server", c.Command, c.Args)
	}
	wantEnv(t, c, map[string]string{
		"BATON_NATS_URL":  "nats://nats.nats.svc:4222",
		"BATON_REDIS_URL": "redis://redis-master.redis.svc:6379",
	})
	for _, n := range []string{"BATON_API_TOKEN", "BATON_REDIS_CLUSTER", "BATON_REDIS_MASTER", "BATON_NATS_REPLICAS", "BATON_PREFIX"} {
		if _, ok := envOf(t, c)[n]; ok {
			t.Errorf("%s is set without a value that asks for it", n)
		}
	}
	if d.Spec.Template.Spec.ServiceAccountName != "baton" || m.serviceAccounts["baton"] == nil {
		t.Errorf("service account %q, want the rendered baton", d.Spec.Template.Spec.ServiceAccountName)
	}
	if m.services["baton-server"] == nil || m.pdbs["baton-server"] == nil {
		t.Error("no Service or PDB baton-server")
	}
	if n := len(m.deployments) + len(m.scaledObjects) + len(m.hpas) + len(m.serviceMonitors) + len(m.podMonitors); n != 1 {
		t.Errorf("%d Deployments, autoscalers and monitors, want the server's Deployment alone", n)
	}
}

// TestFull checks KEDA, the ServiceMonitor and PodMonitors, TLS files, Sentinel, credentials
// and the durability settings of testdata/full.yaml.
func TestFull(t *testing.T) {
	t.Parallel()
	m := render(t, "testdata/full.yaml")

	server := containerOf(t, deployment(t, m, "baton-server"))
	order := containerOf(t, deployment(t, m, "baton-worker-order"))
	shipment := containerOf(t, deployment(t, m, "baton-worker-shipment"))
	common := map[string]string{
		"BATON_NATS_USER":           "baton",
		"BATON_NATS_CREDS":          "/etc/baton/nats-creds/baton.creds",
		"BATON_NATS_CA":             "/etc/baton/nats-tls/ca.crt",
		"BATON_NATS_CERT":           "/etc/baton/nats-tls/tls.crt",
		"BATON_NATS_KEY":            "/etc/baton/nats-tls/tls.key",
		"BATON_NATS_REPLICAS":       "3",
		"BATON_REDIS_URL":           "rediss://redis-sentinel-0.redis.svc:26379,rediss://redis-sentinel-1.redis.svc:26379,rediss://redis-sentinel-2.redis.svc:26379",
		"BATON_REDIS_MASTER":        "baton-master",
		"BATON_REDIS_USER":          "baton",
		"BATON_REDIS_CA":            "/etc/baton/redis-tls/ca.crt",
		"BATON_REDIS_WAIT_REPLICAS": "1",
		"BATON_REDIS_WAIT_AOF":      "true",
		"BATON_REDIS_WAIT_TIMEOUT":  "2s",
		"BATON_PREFIX":              "prod:",
		"BATON_EXTERNAL_TYPES":      "legacy.invoice",
		"OTEL_TRACES_SAMPLER_ARG":   "0.1",
	}
	for _, c := range []corev1.Container{server, order, shipment} {
		wantEnv(t, c, common)
		wantSecretRef(t, c, "BATON_NATS_PASSWORD", "baton-nats", "password")
		wantSecretRef(t, c, "BATON_REDIS_PASSWORD", "baton-redis", "redis-password")
		if _, ok := envOf(t, c)["BATON_REDIS_CLUSTER"]; ok {
			t.Errorf("%s: BATON_REDIS_CLUSTER with Sentinel", c.Name)
		}
	}
	wantSecretRef(t, server, "BATON_API_TOKEN", "baton-api", "token")
	for _, c := range []corev1.Container{order, shipment} {
		if _, ok := envOf(t, c)["BATON_API_TOKEN"]; ok {
			t.Error("a worker pool gets the API token")
		}
	}
	for _, arg := range []string{"--concurrency=32", "--shutdown-grace=40s", "--lease=45s", "--ack-wait=45s", "--retain-ended=72h", "--log-json"} {
		if !slices.Contains(server.Args, arg) {
			t.Errorf("server args %v lack %s", server.Args, arg)
		}
	}
	sd := deployment(t, m, "baton-server")
	if got := sd.Spec.Template.Annotations["example.com/owner"]; got != "payments" {
		t.Errorf("podTemplate.merge: annotation %q, want payments", got)
	}
	if got := sd.Spec.Template.Spec.ImagePullSecrets; len(got) != 1 || got[0].Name != "ghcr-pull" {
		t.Errorf("imagePullSecrets %v, want ghcr-pull", got)
	}
	if sd.Labels["team"] != "payments" || sd.Spec.Template.Labels["team"] != "payments" {
		t.Error("global.labels are not on the Deployment and its pods")
	}
	if pdb := m.pdbs["baton-server"]; pdb == nil || pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 2 || pdb.Spec.MaxUnavailable != nil {
		t.Errorf("server PDB %+v, want minAvailable 2 alone", m.pdbs["baton-server"])
	}
	if sm := m.serviceMonitors["baton-server"]; sm == nil || sm.Labels["release"] != "prometheus" || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || string(sm.Spec.Endpoints[0].Interval) != "15s" {
		t.Errorf("ServiceMonitor %+v, want port http every 15s, labelled release: prometheus", m.serviceMonitors["baton-server"])
	}
	for _, pool := range []string{"baton-worker-order", "baton-worker-shipment"} {
		if pm := m.podMonitors[pool]; pm == nil || pm.Labels["release"] != "prometheus" {
			t.Errorf("no PodMonitor %s labelled release: prometheus (workerPoolDefaults.podMonitor)", pool)
		}
	}

	// The SDK worker: its own image, the image's entrypoint, the generated flags.
	if !strings.HasPrefix(order.Image, "ghcr.io/batonhq/baton-example-worker:") || len(order.Command) != 0 {
		t.Errorf("order pool: image %s command %v", order.Image, order.Command)
	}
	wantArgs(t, order, []string{"--types=order.validate,order.charge,order.reserve,order.fraudCheck,order.ship", "--concurrency=32", "--http=:9090"})
	if got := order.Resources.Requests.Cpu().String(); got != "250m" {
		t.Errorf("order pool: cpu request %s, want 250m", got)
	}
	if pdb := m.pdbs["baton-worker-order"]; pdb == nil {
		t.Error("order pool: no PDB")
	}
	if _, ok := m.pdbs["baton-worker-shipment"]; ok {
		t.Error("shipment pool: a PDB it did not ask for")
	}
	// The generic worker: its args first, then the generated flags; its grace period.
	wantArgs(t, shipment, []string{"worker", "--examples", "shipment", "--engine-type=false", "--log-json",
		"--types=shipment.validate,shipment.recordTracking,shipment.notify,shipment.escalate,parcel.book", "--concurrency=8", "--http=:9090"})
	if tg := deployment(t, m, "baton-worker-shipment").Spec.Template.Spec.TerminationGracePeriodSeconds; tg == nil || *tg != 75 {
		t.Errorf("shipment pool: terminationGracePeriodSeconds %v, want 60 + 15", tg)
	}

	// KEDA: one trigger per task type and band, at the pool's concurrency; none of the bands
	// for shipment (priorityBands: false).
	if len(m.hpas) != 0 {
		t.Errorf("HPAs %v next to KEDA", keys(m.hpas))
	}
	wantTriggers(t, m, "baton-worker-order", []string{"order.validate", "order.charge", "order.reserve", "order.fraudCheck", "order.ship"},
		[]string{"w-", "p-high-", "p-low-"}, "32", "nats.nats.svc:8222", "BATON", "")
	wantTriggers(t, m, "baton-worker-shipment", []string{"shipment.validate", "shipment.recordTracking", "shipment.notify", "shipment.escalate", "parcel.book"},
		[]string{"w-"}, "8", "nats.nats.svc:8222", "BATON", "nats-monitoring")
	so := m.scaledObjects["baton-worker-order"]
	if so == nil || *so.Spec.MinReplicaCount != 2 || *so.Spec.MaxReplicaCount != 30 || *so.Spec.PollingInterval != 10 || *so.Spec.CooldownPeriod != 120 {
		t.Errorf("order ScaledObject spec %+v", so)
	}
}

// TestClusterAndHPA checks testdata/cluster-hpa.yaml: Redis Cluster, a NATS token and nkey, an
// HPA on CPU, KEDA winning over hpa, a pool without task types and an existing ServiceAccount.
func TestClusterAndHPA(t *testing.T) {
	t.Parallel()
	m := render(t, "testdata/cluster-hpa.yaml")
	for name, d := range m.deployments {
		c := containerOf(t, d)
		wantEnv(t, c, map[string]string{
			"BATON_REDIS_URL":     "rediss://redis-cluster-0.redis-cluster-headless.redis.svc:6379,rediss://redis-cluster-1.redis-cluster-headless.redis.svc:6379,rediss://redis-cluster-2.redis-cluster-headless.redis.svc:6379",
			"BATON_REDIS_CLUSTER": "true",
			"BATON_NATS_NKEY":     "/etc/baton/nats-nkey/seed.nk",
		})
		wantSecretRef(t, c, "BATON_NATS_TOKEN", "baton-nats-token", "token")
		wantSecretRef(t, c, "BATON_REDIS_PASSWORD", "redis-cluster", "redis-password")
		if _, ok := envOf(t, c)["BATON_REDIS_MASTER"]; ok {
			t.Errorf("%s: BATON_REDIS_MASTER in cluster mode", name)
		}
		want := "baton-workloads"
		if name == "baton-worker-generic" {
			want = "generic-worker"
		}
		if got := d.Spec.Template.Spec.ServiceAccountName; got != want {
			t.Errorf("%s: service account %q, want %q", name, got, want)
		}
	}
	if len(m.serviceAccounts) != 0 {
		t.Errorf("ServiceAccounts %v rendered with serviceAccount.enabled false", keys(m.serviceAccounts))
	}

	server := deployment(t, m, "baton-server")
	if tg := server.Spec.Template.Spec.TerminationGracePeriodSeconds; tg == nil || *tg != 60 {
		t.Errorf("server terminationGracePeriodSeconds %v, want 60", tg)
	}
	if c := containerOf(t, server); slices.Contains(c.Args, "--log-json") || !slices.Contains(c.Args, "--shutdown-grace=45s") {
		t.Errorf("server args %v", c.Args)
	}
	if _, ok := m.pdbs["baton-server"]; ok {
		t.Error("server PDB with podDisruptionBudget.enabled false")
	}

	billing := containerOf(t, deployment(t, m, "baton-worker-billing"))
	if billing.Image != "registry.example.com/billing-worker:1.4.2" || !slices.Equal(billing.Command, []string{"/worker"}) {
		t.Errorf("billing pool: image %s command %v", billing.Image, billing.Command)
	}
	wantArgs(t, billing, []string{"--types=billing.invoice,billing.refund", "--concurrency=4", "--http=:9090"})
	wantEnv(t, billing, map[string]string{"BILLING_MODE": "live"})
	h := m.hpas["baton-worker-billing"]
	if h == nil || *h.Spec.MinReplicas != 2 || h.Spec.MaxReplicas != 8 || *h.Spec.Metrics[0].Resource.Target.AverageUtilization != 60 {
		t.Fatalf("billing HPA %+v, want 2 to 8 replicas at 60%% CPU", h)
	}

	// fulfilment asks for both: KEDA scales it, and no HPA competes.
	if _, ok := m.hpas["baton-worker-fulfilment"]; ok {
		t.Error("fulfilment: an HPA next to its ScaledObject")
	}
	wantTriggers(t, m, "baton-worker-fulfilment", []string{"fulfilment.pick"}, []string{"w-", "p-high-", "p-low-"}, "16", "nats:8222", "$G", "")

	generic := deployment(t, m, "baton-worker-generic")
	if generic.Spec.Replicas == nil || *generic.Spec.Replicas != 3 {
		t.Errorf("generic pool replicas %v, want 3", generic.Spec.Replicas)
	}
	if _, ok := flagValue(containerOf(t, generic).Args, "types"); ok {
		t.Error("generic pool: --types without taskTypes")
	}
}

// TestConsumerNames checks the chart's consumer names, and the tests' consumerName, against the
// names Baton's queue.JobConsumerNameIn gives for the same task types.
func TestConsumerNames(t *testing.T) {
	t.Parallel()
	// Task type -> its encoded token, as queue.JobConsumerNameIn(taskType, queue.Normal) gives it
	// after "w-".
	cases := map[string]string{
		"order.charge":     "order~2Echarge",
		"com.acme.Charge":  "com~2Eacme~2ECharge",
		"order.fraudCheck": "order~2EfraudCheck",
		"a b":              "a~20b",
		"x/y:z*>":          "x~2Fy~3Az~2A~3E",
		"ünï":              "~C3~BCn~C3~AF",
		"plain-name_1":     "plain-name_1",
	}
	var types []string
	for tt, tok := range cases {
		types = append(types, tt)
		for _, prefix := range []string{"w-", "p-high-", "p-low-"} {
			if got := consumerName(prefix, tt); got != prefix+tok {
				t.Errorf("consumerName(%q, %q) = %q, want %q", prefix, tt, got, prefix+tok)
			}
		}
	}
	slices.Sort(types)
	doc, err := yaml.Marshal(map[string]any{"workerPools": []any{map[string]any{
		"name": "names", "args": []string{"worker"}, "taskTypes": types, "keda": map[string]any{"enabled": true},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	m := render(t, inlineValues(t, string(doc)))
	checkInvariants(t, m)
	wantTriggers(t, m, "baton-worker-names", types, []string{"w-", "p-high-", "p-low-"}, "16", "nats:8222", "$G", "")
}

// TestMerge checks the merge maps: over the container, the pod template, the Service, the
// ScaledObject and a worker pool's defaults.
func TestMerge(t *testing.T) {
	t.Parallel()
	m := render(t, inlineValues(t, `
server:
  container:
    merge:
      stdin: true
  service:
    merge:
      spec:
        sessionAffinity: ClientIP
workerPoolDefaults:
  concurrency: 4
  keda:
    maxReplicaCount: 3
workerPools:
  - name: a
    args: [worker]
    taskTypes: [a]
    keda:
      enabled: true
      merge:
        spec:
          pollingInterval: 5
    podTemplate:
      merge:
        spec:
          hostname: pinned
`))
	checkInvariants(t, m)
	if !containerOf(t, deployment(t, m, "baton-server")).Stdin {
		t.Error("server container.merge was not applied")
	}
	if m.services["baton-server"].Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		t.Error("server service.merge was not applied")
	}
	so := m.scaledObjects["baton-worker-a"]
	if so == nil || so.Spec.PollingInterval == nil || *so.Spec.PollingInterval != 5 || *so.Spec.MaxReplicaCount != 3 || *so.Spec.MinReplicaCount != 1 {
		t.Errorf("ScaledObject spec %+v: want keda.merge's pollingInterval 5 and the defaults' replica bounds 1 to 3", so)
	}
	wantTriggers(t, m, "baton-worker-a", []string{"a"}, []string{"w-", "p-high-", "p-low-"}, "4", "nats:8222", "$G", "")
	if d := deployment(t, m, "baton-worker-a"); d.Spec.Template.Spec.Hostname != "pinned" || d.Spec.Template.Spec.SecurityContext == nil {
		t.Error("pool podTemplate.merge was not applied over the default pod template")
	}
}

// TestWorkersOnly checks a release without the server: only worker pools.
func TestWorkersOnly(t *testing.T) {
	t.Parallel()
	m := render(t, inlineValues(t, `
server: {enabled: false}
workerPools:
  - name: a
    args: [worker]
`))
	checkInvariants(t, m)
	if len(m.deployments) != 1 || m.deployments["baton-worker-a"] == nil || len(m.services) != 0 || len(m.pdbs) != 0 {
		t.Errorf("Deployments %v Services %v PDBs %v, want the pool's Deployment alone", keys(m.deployments), keys(m.services), keys(m.pdbs))
	}
}

// TestInvalidValues checks that values the chart cannot honour fail the rendering with a
// message that says what to change.
func TestInvalidValues(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, values, want string }{
		{"redis mode", "redis: {mode: standalone}", `redis.mode "standalone": want single, sentinel or cluster`},
		{"sentinel without sentinels", "redis: {mode: sentinel}", "redis.sentinel.urls"},
		{"cluster without seeds", "redis: {mode: cluster}", "redis.cluster.urls"},
		{"no NATS", `nats: {url: ""}`, "nats.url is required"},
		{"server grace", "server: {shutdownGraceSeconds: 30, terminationGracePeriodSeconds: 35}", "must exceed shutdownGraceSeconds 30"},
		{"pool grace", "workerPools: [{name: a, args: [worker], terminationGracePeriodSeconds: 20}]", "must exceed shutdownGraceSeconds 30"},
		{"KEDA without task types", "workerPools: [{name: a, keda: {enabled: true}}]", "keda needs taskTypes"},
		{"pool name", "workerPools: [{name: Order_1}]", "want a DNS label"},
		{"two pools of one name", "workerPools: [{name: a, args: [worker]}, {name: a, args: [worker]}]", `two pools are named "a"`},
		{"misspelt pool key", "workerPools: [{name: a, tasktypes: [x]}]", `unknown key "tasktypes"`},
		{"misspelt nested pool key", "workerPools: [{name: a, keda: {enable: true}}]", "unknown key keda.enable"},
		{"HPA without a CPU request", "workerPools: [{name: a, args: [worker], hpa: {enabled: true}, container: {resources: {requests: {memory: 64Mi}}}}]", "needs container.resources.requests.cpu"},
		{"baton image without worker", "workerPools: [{name: a, taskTypes: [x]}]", `runs the baton image: give args: [worker`},
		{"ServiceMonitor without Service", "server: {service: {enabled: false}, serviceMonitor: {enabled: true}}", "needs server.service.enabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := helmTemplate(inlineValues(t, tc.values))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("values %s: error %v, want one containing %q", tc.values, err, tc.want)
			}
		})
	}
}

// TestK8sManifestsUpToDate checks that deploy/k8s/baton.yaml is what `make k8s-manifests`
// renders now: the chart's output for deploy/k8s/values.yaml, after the file's comment header.
func TestK8sManifestsUpToDate(t *testing.T) {
	t.Parallel()
	committed, err := os.ReadFile(filepath.Join(k8sDir, manifestsFile))
	if err != nil {
		t.Fatalf("%v: run make k8s-manifests", err)
	}
	fresh, err := helmTemplate(filepath.Join(k8sDir, k8sValuesFile))
	if err != nil {
		t.Fatal(err)
	}
	body := stripHeader(committed)
	if body == fresh {
		return
	}
	got, want := strings.Split(body, "\n"), strings.Split(fresh, "\n")
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("deploy/k8s/%s is not the chart's rendering of deploy/k8s/%s: run make k8s-manifests and commit the result\nfirst difference at body line %d:\ncommitted: %q\nrendered:  %q",
				manifestsFile, k8sValuesFile, i+1, g, w)
		}
	}
}

// stripHeader drops the comment lines at the top of a generated file.
func stripHeader(b []byte) string {
	for len(b) > 0 && b[0] == '#' {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return ""
		}
		b = b[i+1:]
	}
	return string(b)
}

// readmeKey matches a value's row in helm/baton/README.md: | `path` | default | ... |.
var readmeKey = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// TestReadmeDocumentsEveryValue checks that helm/baton/README.md has a row for every value of
// values.yaml, and no row for a value that does not exist.
func TestReadmeDocumentsEveryValue(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range readmeKey.FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = true
	}
	leaves := map[string]bool{}
	valueLeaves("", values, leaves)
	for k := range leaves {
		if !rows[k] {
			t.Errorf("README.md has no row for value %s", k)
		}
	}
	for k := range rows {
		if !leaves[k] {
			t.Errorf("README.md has a row for %s, which is no value of values.yaml", k)
		}
	}
}

// valueLeaves collects the dotted paths of the values a user sets: scalars, lists, empty maps
// and merge maps.
func valueLeaves(prefix string, v any, into map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 || strings.HasSuffix(prefix, ".merge") {
		into[prefix] = true
		return
	}
	for k, sub := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		// resources, securityContext and the like are Kubernetes objects: one row each.
		if isObjectValue(p) {
			into[p] = true
			continue
		}
		valueLeaves(p, sub, into)
	}
}

// isObjectValue reports whether a value is a Kubernetes object documented as a whole.
func isObjectValue(p string) bool {
	for _, suffix := range []string{".resources", ".securityContext", ".livenessProbe", ".readinessProbe"} {
		if strings.HasSuffix(p, suffix) {
			return true
		}
	}
	return false
}

// deployment returns a rendered Deployment, failing the test when there is none of that name.
func deployment(t *testing.T, m *manifests, name string) *appsv1.Deployment {
	t.Helper()
	d := m.deployments[name]
	if d == nil {
		t.Fatalf("no Deployment %s; there are %v", name, keys(m.deployments))
	}
	return d
}

// wantEnv checks variables' literal values.
func wantEnv(t *testing.T, c corev1.Container, want map[string]string) {
	t.Helper()
	env := envOf(t, c)
	for n, v := range want {
		if e, ok := env[n]; !ok || e.Value != v {
			t.Errorf("%s: %s=%q, want %q", c.Name, n, e.Value, v)
		}
	}
}

// wantSecretRef checks that a variable comes from a Secret's key.
func wantSecretRef(t *testing.T, c corev1.Container, env, secret, key string) {
	t.Helper()
	e, ok := envOf(t, c)[env]
	if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != secret || e.ValueFrom.SecretKeyRef.Key != key {
		t.Errorf("%s: %s is not secretKeyRef %s/%s: %+v", c.Name, env, secret, key, e)
	}
}

// wantArgs checks that a container's args end with want.
func wantArgs(t *testing.T, c corev1.Container, want []string) {
	t.Helper()
	if len(c.Args) < len(want) || !slices.Equal(c.Args[len(c.Args)-len(want):], want) {
		t.Errorf("%s: args %q, want them to end with %q", c.Name, c.Args, want)
	}
}

// wantTriggers checks a pool's ScaledObject: exactly one nats-jetstream trigger per task type and
// consumer prefix, in that order, with the stream, lag threshold, endpoint, account and
// TriggerAuthentication given.
func wantTriggers(t *testing.T, m *manifests, name string, types, prefixes []string, lag, endpoint, account, auth string) {
	t.Helper()
	so := m.scaledObjects[name]
	if so == nil {
		t.Fatalf("no ScaledObject %s; there are %v", name, keys(m.scaledObjects))
	}
	if so.Spec.ScaleTargetRef.Name != name {
		t.Errorf("ScaledObject %s scales %s", name, so.Spec.ScaleTargetRef.Name)
	}
	var want []string
	for _, tt := range types {
		for _, p := range prefixes {
			want = append(want, consumerName(p, tt))
		}
	}
	var got []string
	for i, tr := range so.Spec.Triggers {
		got = append(got, tr.Metadata["consumer"])
		md := tr.Metadata
		if tr.Type != "nats-jetstream" || md["stream"] != jobsStreamName || md["lagThreshold"] != lag ||
			md["natsServerMonitoringEndpoint"] != endpoint || md["account"] != account {
			t.Errorf("ScaledObject %s trigger %d: %s %v, want nats-jetstream on %s, lagThreshold %s, endpoint %s, account %s",
				name, i, tr.Type, md, jobsStreamName, lag, endpoint, account)
		}
		if gotAuth := authName(tr.AuthenticationRef); gotAuth != auth {
			t.Errorf("ScaledObject %s trigger %d: authenticationRef %q, want %q", name, i, gotAuth, auth)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ScaledObject %s consumers\n got %q\nwant %q", name, got, want)
	}
}

// authName returns the name of a trigger's TriggerAuthentication, or "".
func authName(ref *authenticationRef) string {
	if ref == nil {
		return ""
	}
	return ref.Name
}

// appVersion returns the chart's appVersion, the default image tag.
func appVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatal(fmt.Errorf("Chart.yaml: %w", err))
	}
	return chart.AppVersion
}

// keys returns a map's keys, sorted.
func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
