// Package charttest owns the tests of Baton's Kubernetes deployment artefacts: the Helm chart in
// helm/baton, the umbrella chart helm/baton-stack (rendered with stand-ins for its NATS and Redis
// dependencies), the plain manifests in deploy/k8s that are rendered from helm/baton, and the
// local cluster in deploy/compose.yaml.
//
// The tests render the chart with the helm binary (HELM, else helm on PATH, else
// $(go env GOPATH)/bin/helm; `make helm` installs it) and decode every document strictly into
// its Kubernetes API type, so a misspelt or misplaced field fails them. They live in a Go module
// of their own so that the Kubernetes, Prometheus Operator and Compose modules they need stay
// out of Baton's module, and `go test ./...` at the repository root does not run them; run them
// with `make test-chart`.
package charttest
