package charttest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Where the chart and the plain manifests are, relative to this package, and the release the
// tests render. The release name and namespace are those of `make k8s-manifests`.
const (
	chartDir       = "../../helm/baton"
	stackDir       = "../../helm/baton-stack"
	k8sDir         = "../k8s"
	releaseName    = "baton"
	releaseNS      = "baton"
	testdataGlob   = "testdata/*.yaml"
	manifestsFile  = "baton.yaml"
	k8sValuesFile  = "values.yaml"
	defaultGraceS  = 30 // --shutdown-grace's default, in seconds
	httpShutdownS  = 5  // what open HTTP requests get after the shutdown grace
	jobsStreamName = "BATON_JOBS"
)

// helmPath finds the helm binary once: $HELM, else helm on PATH, else $(go env GOPATH)/bin/helm.
var helmPath = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("HELM"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "helm")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", errors.New("helm not found on PATH or in $(go env GOPATH)/bin: run `make helm`, or set HELM to its path")
})

// helmTemplate runs `helm template` of the chart as release baton in namespace baton with the
// values files, and returns what it printed. Its error carries helm's stderr.
func helmTemplate(valuesFiles ...string) (string, error) {
	return helmTemplateOf(chartDir, valuesFiles...)
}

// helmTemplateOf is helmTemplate of the chart in dir.
func helmTemplateOf(dir string, valuesFiles ...string) (string, error) {
	helm, err := helmPath()
	if err != nil {
		return "", err
	}
	args := []string{"template", releaseName, dir, "--namespace", releaseNS}
	for _, f := range valuesFiles {
		args = append(args, "--values", f)
	}
	cmd := exec.Command(helm, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// inlineValues writes a values document into the test's temporary directory and returns its path.
func inlineValues(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// manifests are the decoded documents of one rendering, by kind and then by name.
type manifests struct {
	deployments     map[string]*appsv1.Deployment
	services        map[string]*corev1.Service
	serviceAccounts map[string]*corev1.ServiceAccount
	pdbs            map[string]*policyv1.PodDisruptionBudget
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	scaledObjects   map[string]*scaledObject
	serviceMonitors map[string]*monitoringv1.ServiceMonitor
	podMonitors     map[string]*monitoringv1.PodMonitor
}

// render renders the chart with the values files and decodes every document, failing the test
// on any error.
func render(t *testing.T, valuesFiles ...string) *manifests {
	t.Helper()
	out, err := helmTemplate(valuesFiles...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode(out)
	if err != nil {
		t.Fatalf("values %v: %v", valuesFiles, err)
	}
	return m
}

// decode splits helm's output into documents and decodes each strictly into the API type of its
// apiVersion and kind: an unknown field, a duplicate key, an unknown kind, a second object of
// one kind and name, or an object outside the release's namespace is an error.
func decode(out string) (*manifests, error) {
	m := &manifests{
		deployments:     map[string]*appsv1.Deployment{},
		services:        map[string]*corev1.Service{},
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		pdbs:            map[string]*policyv1.PodDisruptionBudget{},
		hpas:            map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		scaledObjects:   map[string]*scaledObject{},
		serviceMonitors: map[string]*monitoringv1.ServiceMonitor{},
		podMonitors:     map[string]*monitoringv1.PodMonitor{},
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := m.add(doc); err != nil {
			return nil, fmt.Errorf("document %d: %w\n%s", i, err, doc)
		}
	}
}

// add decodes one document into m.
func (m *manifests) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return fmt.Errorf("type meta: %w", err)
	}
	if tm.APIVersion == "" && tm.Kind == "" {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return fmt.Errorf("yaml: %w", err)
		}
		if string(j) == "null" { // only comments
			return nil
		}
		return errors.New("a document without apiVersion and kind")
	}
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		return addStrict(doc, m.deployments)
	case "v1 Service":
		return addStrict(doc, m.services)
	case "v1 ServiceAccount":
		return addStrict(doc, m.serviceAccounts)
	case "policy/v1 PodDisruptionBudget":
		return addStrict(doc, m.pdbs)
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return addStrict(doc, m.hpas)
	case "keda.sh/v1alpha1 ScaledObject":
		return addStrict(doc, m.scaledObjects)
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return addStrict(doc, m.serviceMonitors)
	case "monitoring.coreos.com/v1 PodMonitor":
		return addStrict(doc, m.podMonitors)
	}
	return fmt.Errorf("unknown kind %s %s: teach decode its API type", tm.APIVersion, tm.Kind)
}

// object is what addStrict needs of an API type: a pointer with object metadata.
type object[T any] interface {
	*T
	metav1.Object
}

// addStrict decodes doc into a new T, rejecting unknown fields and duplicate keys, and files it
// under its name.
func addStrict[T any, PT object[T]](doc []byte, into map[string]PT) error {
	obj := PT(new(T))
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("strict decoding: %w", err)
	}
	name := obj.GetName()
	if name == "" {
		return errors.New("no metadata.name")
	}
	if ns := obj.GetNamespace(); ns != releaseNS {
		return fmt.Errorf("%s: namespace %q, want %q", name, ns, releaseNS)
	}
	if _, dup := into[name]; dup {
		return fmt.Errorf("two objects of one kind named %s", name)
	}
	into[name] = obj
	return nil
}

// testdataFiles lists the values files that `make test-chart` lints and renders.
func testdataFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(testdataGlob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no values files match %s", testdataGlob)
	}
	return files
}
