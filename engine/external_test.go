package engine_test

import (
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine"
)

func TestExternalCommandsDecodeFromJSONAndMsgpack(t *testing.T) {
	t.Parallel()
	packed, _ := msgpack.Marshal(map[string]any{"taskId": "i:2:0", "variables": map[string]any{"n": 3}})
	for _, tc := range []struct {
		name, contentType string
		data              []byte
		wantErr           string
	}{
		{"json", "application/json", []byte(`{"taskId":"i:2:0","variables":{"n":3}}`), ""},
		{"json by default", "", []byte(`{"taskId":"i:2:0","variables":{"n":3}}`), ""},
		{"msgpack", "application/msgpack", packed, ""},
		{"unknown field", "application/json", []byte(`{"taskId":"i:2:0","colour":"red"}`), `unknown field "colour"`},
		{"unknown content type", "text/plain", []byte(`x`), "unsupported Content-Type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd, err := engine.DecodeExternalCommand(tc.data, tc.contentType)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || cmd.TaskID != "i:2:0" || cmd.Variables["n"] != int64(3) {
				t.Fatalf("%+v %v", cmd, err)
			}
		})
	}
}
