package main

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// applyConfigFile sets the flags of cmd that the command line left unset from the YAML file
// path: a map of flag names to values (lists as YAML sequences or comma-separated text). Flags
// given on the command line win over the file, and the file wins over environment variables.
// Every key must be a flag of some baton command (keys of other commands are skipped, so one
// file serves the server and the CLI); the errors name the file, line and key.
func applyConfigFile(cmd *cobra.Command, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("--config %s:%d: want a map of flag names to values, such as `nats: nats://nats:4222`", path, m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		f := cmd.Flags().Lookup(k.Value)
		if f == nil && anyCommandHas(cmd.Root(), k.Value) {
			continue // another command's setting (a file shared by the server and the CLI)
		}
		if f == nil || k.Value == "config" || k.Value == "help" {
			return fmt.Errorf("--config %s:%d: %q is no setting of any baton command; %q takes: %s", path, k.Line, k.Value,
				cmd.CommandPath(), strings.Join(flagNames(cmd), ", "))
		}
		if f.Changed {
			continue // the command line wins
		}
		val, err := scalarOrList(v)
		if err != nil {
			return fmt.Errorf("--config %s:%d: %s: %w", path, v.Line, k.Value, err)
		}
		if err := cmd.Flags().Set(k.Value, val); err != nil {
			return fmt.Errorf("--config %s:%d: %s: %w", path, v.Line, k.Value, err)
		}
	}
	return nil
}

// anyCommandHas reports whether a command of the tree below root has flag name.
func anyCommandHas(root *cobra.Command, name string) bool {
	if name == "config" || name == "help" {
		return false
	}
	if root.Flags().Lookup(name) != nil || root.PersistentFlags().Lookup(name) != nil {
		return true
	}
	for _, c := range root.Commands() {
		if anyCommandHas(c, name) {
			return true
		}
	}
	return false
}

// scalarOrList renders a YAML value as a flag value: a scalar as it is, a sequence of scalars
// comma-separated.
func scalarOrList(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		return v.Value, nil
	case yaml.SequenceNode:
		items := make([]string, 0, len(v.Content))
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("want a list of plain values")
			}
			items = append(items, it.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", fmt.Errorf("want a value or a list of values")
}

func flagNames(cmd *cobra.Command) []string {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Name != "help" {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	return names
}
