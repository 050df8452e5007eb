package bpmn

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse mutations of every testdata model: it must never panic, and it either
// returns linked definitions or a *model.ValidationError naming the source.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.bpmn"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no testdata models: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(inlineModel(around(`<task id="x" baton:type="t" />`))))
	f.Add([]byte(""))
	f.Add([]byte("<definitions"))
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, err := Parse("fuzz.bpmn", data)
		if err != nil {
			if defs != nil {
				t.Fatalf("got definitions and an error: %v", err)
			}
			for _, p := range problemsOf(t, err) {
				if p.Source != "fuzz.bpmn" || p.Message == "" {
					t.Fatalf("problem without source or message: %#v", p)
				}
			}
			return
		}
		if len(defs) == 0 {
			t.Fatal("no definitions and no error")
		}
		for _, d := range defs {
			if start := d.Nodes[d.StartID]; start == nil || d.Hash == "" || d.Source != "fuzz.bpmn" {
				t.Fatalf("definition %q not linked: start %q hash %q", d.Key, d.StartID, d.Hash)
			}
		}
	})
}
