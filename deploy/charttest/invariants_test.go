package charttest

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// secretEnv matches the variables that carry a secret and must come from a Secret.
var secretEnv = regexp.MustCompile(`PASSWORD|TOKEN`)

// fileEnv lists the variables that hold the path of a file mounted from a Secret.
var fileEnv = []string{
	"BATON_NATS_CREDS", "BATON_NATS_NKEY", "BATON_NATS_CA", "BATON_NATS_CERT", "BATON_NATS_KEY",
	"BATON_REDIS_CA", "BATON_REDIS_CERT", "BATON_REDIS_KEY",
}

// bandConsumer matches the consumer names of a task type's bands.
var bandConsumer = regexp.MustCompile(`^(w|p-high|p-low)-[A-Za-z0-9_~-]+$`)

// checkInvariants checks what every rendering must satisfy, whatever the values: hardened pods,
// probes on the port named http, a grace period longer than the shutdown grace, secrets only
// from Secrets, selectors that select, and at most one autoscaler per Deployment.
func checkInvariants(t *testing.T, m *manifests) {
	t.Helper()
	for name, d := range m.deployments {
		checkDeployment(t, m, name, d)
	}
	for name, so := range m.scaledObjects {
		checkScaledObject(t, m, name, so)
	}
	for name, h := range m.hpas {
		ref := h.Spec.ScaleTargetRef
		if d := m.deployments[ref.Name]; d == nil || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
			t.Errorf("HPA %s: scaleTargetRef %+v is no rendered Deployment", name, ref)
		}
		if _, both := m.scaledObjects[ref.Name]; both {
			t.Errorf("HPA %s: Deployment %s is also scaled by KEDA", name, ref.Name)
		}
		if len(h.Spec.Metrics) == 0 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
			t.Errorf("HPA %s: want a CPU resource metric, got %+v", name, h.Spec.Metrics)
		}
	}
	for name, pdb := range m.pdbs {
		if got := selected(t, m, pdb.Spec.Selector); len(got) != 1 {
			t.Errorf("PDB %s selects the pods of %v, want one Deployment's", name, got)
		}
	}
	for name, svc := range m.services {
		got := selected(t, m, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector})
		if len(got) != 1 {
			t.Errorf("Service %s selects the pods of %v, want one Deployment's", name, got)
			continue
		}
		c := containerOf(t, m.deployments[got[0]])
		for _, p := range svc.Spec.Ports {
			if !hasPort(c, p.TargetPort.String()) {
				t.Errorf("Service %s: targetPort %s is no port of %s", name, p.TargetPort.String(), got[0])
			}
		}
	}
	for name, sm := range m.serviceMonitors {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil {
			t.Fatalf("ServiceMonitor %s: %v", name, err)
		}
		var svcs []string
		for sname, svc := range m.services {
			if sel.Matches(labels.Set(svc.Labels)) {
				svcs = append(svcs, sname)
				for _, ep := range sm.Spec.Endpoints {
					if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
						t.Errorf("ServiceMonitor %s: port %q is no port of Service %s", name, ep.Port, sname)
					}
					if ep.Path != "/metrics" {
						t.Errorf("ServiceMonitor %s: path %q, want /metrics", name, ep.Path)
					}
				}
			}
		}
		if len(svcs) != 1 {
			t.Errorf("ServiceMonitor %s selects Services %v, want one", name, svcs)
		}
	}
	for name, pm := range m.podMonitors {
		got := selected(t, m, &pm.Spec.Selector)
		if len(got) != 1 {
			t.Errorf("PodMonitor %s selects the pods of %v, want one Deployment's", name, got)
			continue
		}
		c := containerOf(t, m.deployments[got[0]])
		for _, ep := range pm.Spec.PodMetricsEndpoints {
			if ep.Port == nil || !hasPort(c, *ep.Port) || ep.Path != "/metrics" {
				t.Errorf("PodMonitor %s: endpoint %+v, want /metrics on a port of %s", name, ep, got[0])
			}
		}
	}
}

// checkDeployment checks one Deployment's pod.
func checkDeployment(t *testing.T, m *manifests, name string, d *appsv1.Deployment) {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("Deployment %s: selector %v does not select its pod template's labels (%v)", name, d.Spec.Selector, err)
	}
	pod := d.Spec.Template.Spec
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("Deployment %s: pod securityContext.runAsNonRoot is not true", name)
	} else if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		t.Errorf("Deployment %s: runAsUser 0", name)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("Deployment %s: the service account token is mounted; Baton does not talk to the Kubernetes API", name)
	}
	c := containerOf(t, d)
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("Deployment %s: container securityContext %+v, want a read-only root filesystem, no privilege escalation, all capabilities dropped", name, sc)
	}

	// Probes on the port named http, which is the port the process serves (--http).
	if !hasPort(c, "http") {
		t.Errorf("Deployment %s: no container port named http", name)
	}
	if v, ok := flagValue(c.Args, "http"); ok {
		want, err := strconv.Atoi(strings.TrimPrefix(v, ":"))
		if err != nil || containerPort(c, "http") != int32(want) {
			t.Errorf("Deployment %s: --http=%s but port http is %d", name, v, containerPort(c, "http"))
		}
	}
	checkProbe(t, name, "liveness", c.LivenessProbe, "/healthz")
	checkProbe(t, name, "readiness", c.ReadinessProbe, "/readyz")

	// The grace period covers the shutdown grace and the HTTP server's 5 s after it.
	grace := defaultGraceS * time.Second
	if v, ok := flagValue(c.Args, "shutdown-grace"); ok {
		if grace, err = time.ParseDuration(v); err != nil {
			t.Errorf("Deployment %s: --shutdown-grace=%s: %v", name, v, err)
		}
	}
	if tg := pod.TerminationGracePeriodSeconds; tg == nil || time.Duration(*tg)*time.Second <= grace+httpShutdownS*time.Second {
		t.Errorf("Deployment %s: terminationGracePeriodSeconds %v does not exceed the shutdown grace %v + %ds", name, tg, grace, httpShutdownS)
	}

	// Secrets come from Secrets; files from read-only mounted Secrets.
	env := envOf(t, c)
	for _, e := range c.Env {
		if secretEnv.MatchString(e.Name) && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
			e.ValueFrom.SecretKeyRef.Name == "" || e.ValueFrom.SecretKeyRef.Key == "") {
			t.Errorf("Deployment %s: %s is not taken from a Secret with secretKeyRef", name, e.Name)
		}
	}
	for _, n := range fileEnv {
		if e, ok := env[n]; ok {
			checkSecretFile(t, name, pod, c, n, e.Value)
		}
	}

	// An autoscaled Deployment leaves replicas to its autoscaler; one that is not sets them.
	_, keda := m.scaledObjects[name]
	_, hpa := m.hpas[name]
	if (keda || hpa) != (d.Spec.Replicas == nil) {
		t.Errorf("Deployment %s: replicas %v with KEDA %v and HPA %v", name, d.Spec.Replicas, keda, hpa)
	}
}

// checkProbe checks that a probe is an HTTP GET of path on the port named http.
func checkProbe(t *testing.T, name, which string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
		t.Errorf("Deployment %s: %s probe %+v, want GET %s on port http", name, which, p, path)
	}
}

// checkSecretFile checks that the file a variable names lies in a read-only mount of a Secret.
func checkSecretFile(t *testing.T, name string, pod corev1.PodSpec, c corev1.Container, env, file string) {
	t.Helper()
	dir := path.Dir(file)
	i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
	if i < 0 {
		t.Errorf("Deployment %s: %s=%s, but nothing is mounted at %s", name, env, file, dir)
		return
	}
	vm := c.VolumeMounts[i]
	j := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name })
	if !vm.ReadOnly || j < 0 || pod.Volumes[j].Secret == nil || pod.Volumes[j].Secret.SecretName == "" {
		t.Errorf("Deployment %s: %s=%s is not in a read-only mount of a Secret", name, env, file)
	}
}

// checkScaledObject checks a ScaledObject's target and its nats-jetstream triggers.
func checkScaledObject(t *testing.T, m *manifests, name string, so *scaledObject) {
	t.Helper()
	ref := so.Spec.ScaleTargetRef
	if ref == nil || m.deployments[ref.Name] == nil || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
		t.Errorf("ScaledObject %s: scaleTargetRef %+v is no rendered Deployment", name, ref)
		return
	}
	if len(so.Spec.Triggers) == 0 {
		t.Errorf("ScaledObject %s: no triggers", name)
	}
	consumers := map[string]bool{}
	for i, tr := range so.Spec.Triggers {
		if tr.Type != "nats-jetstream" {
			t.Errorf("ScaledObject %s trigger %d: type %q, want nats-jetstream", name, i, tr.Type)
		}
		for k := range tr.Metadata {
			if _, known := natsJetStreamMetadata[k]; !known {
				t.Errorf("ScaledObject %s trigger %d: metadata %q is no setting of the nats-jetstream scaler", name, i, k)
			}
		}
		for k, required := range natsJetStreamMetadata {
			if required && tr.Metadata[k] == "" {
				t.Errorf("ScaledObject %s trigger %d: no %s", name, i, k)
			}
		}
		if tr.Metadata["stream"] != jobsStreamName {
			t.Errorf("ScaledObject %s trigger %d: stream %q, want %s", name, i, tr.Metadata["stream"], jobsStreamName)
		}
		if c := tr.Metadata["consumer"]; !bandConsumer.MatchString(c) {
			t.Errorf("ScaledObject %s trigger %d: consumer %q is no job consumer's name", name, i, c)
		} else {
			consumers[c] = true
		}
		if n, err := strconv.Atoi(tr.Metadata["lagThreshold"]); err != nil || n <= 0 {
			t.Errorf("ScaledObject %s trigger %d: lagThreshold %q is no positive number", name, i, tr.Metadata["lagThreshold"])
		}
	}
	// Every task type the pool serves has a trigger on its normal consumer.
	types, _ := flagValue(containerOf(t, m.deployments[ref.Name]).Args, "types")
	for _, tt := range strings.Split(types, ",") {
		if tt != "" && !consumers[consumerName("w-", tt)] {
			t.Errorf("ScaledObject %s: no trigger on %s, the consumer of task type %q", name, consumerName("w-", tt), tt)
		}
	}
}

// selected returns the Deployments whose pods a selector selects.
func selected(t *testing.T, m *manifests, ls *metav1.LabelSelector) []string {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatalf("selector %v: %v", ls, err)
	}
	var names []string
	if sel.Empty() {
		return nil
	}
	for name, d := range m.deployments {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// containerOf returns a Deployment's one container.
func containerOf(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", d.Name, n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

// envOf returns a container's variables by name, failing on a name given twice.
func envOf(t *testing.T, c corev1.Container) map[string]corev1.EnvVar {
	t.Helper()
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("container %s: %s is set twice", c.Name, e.Name)
		}
		env[e.Name] = e
	}
	return env
}

// hasPort reports whether a container has a port of that name.
func hasPort(c corev1.Container, name string) bool { return containerPort(c, name) != 0 }

// containerPort returns the number of a container's named port, or 0.
func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// flagValue returns the value of --name in args, given as --name=value or as --name value.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// consumerName is the name of a job consumer of a task type, prefix being w-, p-high- or p-low-:
// Baton's queue.JobConsumerNameIn, written again here as the chart's README describes it, so
// that the chart's template is checked against an independent implementation. TestConsumerNames
// checks both against names that queue.JobConsumerNameIn gives.
func consumerName(prefix, taskType string) string {
	if taskType == "" {
		return prefix + "~"
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < len(taskType); i++ {
		c := taskType[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("~" + strings.ToUpper(strconv.FormatUint(uint64(c)>>4, 16)+strconv.FormatUint(uint64(c)&0xF, 16)))
	}
	return b.String()
}
