package api

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

func TestTheOpenAPIDocumentDescribesEveryRouteAndIsCheckedIntoDocs(t *testing.T) {
	t.Parallel()
	docs, err := os.ReadFile("../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, OpenAPI) {
		t.Fatal("docs/openapi.json differs from api/openapi.json; copy api/openapi.json over it")
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var described, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			described = append(described, strings.ToUpper(method)+" "+path)
		}
	}
	for _, r := range routes {
		served = append(served, r.method+" "+r.path)
	}
	sort.Strings(described)
	sort.Strings(served)
	if strings.Join(described, "\n") != strings.Join(served, "\n") {
		t.Fatalf("operations described:\n%s\n\noperations served:\n%s", strings.Join(described, "\n"), strings.Join(served, "\n"))
	}
}
