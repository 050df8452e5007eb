package engine

import (
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine/job"
)

// Mirrors of the hand-encoded types, encoded by reflection from the same tags: the wire format
// both produce must be the same, so stored data and other-language readers are unaffected.
type tokenMirror struct {
	ID       string `msgpack:"id"`
	Activity string `msgpack:"a"`
	Wait     string `msgpack:"w,omitempty"`
	Job      string `msgpack:"j,omitempty"`
	Via      string `msgpack:"v,omitempty"`
	Parent   string `msgpack:"p,omitempty"`
}

type stateMirror struct {
	ID                string         `msgpack:"id"`
	ProcessKey        string         `msgpack:"pk"`
	DefinitionVersion int            `msgpack:"dv"`
	BusinessKey       string         `msgpack:"bk,omitempty"`
	Variables         map[string]any `msgpack:"vars"`
	Tokens            []tokenMirror  `msgpack:"tok"`
	Seq               int            `msgpack:"seq"`
	Started           int64          `msgpack:"st"`
	Ended             int64          `msgpack:"en,omitempty"`
}

type jobMirror struct {
	V         int    `msgpack:"v"`
	ID        string `msgpack:"id"`
	Instance  string `msgpack:"i"`
	Type      string `msgpack:"t"`
	Kind      uint8  `msgpack:"k"`
	Token     string `msgpack:"tk"`
	Activity  string `msgpack:"a"`
	Exclusive bool   `msgpack:"x"`
	Created   int64  `msgpack:"c"`
}

func TestHandWrittenCodecsKeepTheTaggedWireFormat(t *testing.T) {
	t.Parallel()
	mirror := stateMirror{ID: "i1", ProcessKey: "order", DefinitionVersion: 3, BusinessKey: "b-1",
		Variables: map[string]any{"amount": int64(150), "nested": map[string]any{"ok": true}, "list": []any{"a", int64(2)}},
		Tokens:    []tokenMirror{{ID: "t1", Activity: "A", Wait: "job", Job: "i1:2:0", Via: "f1", Parent: "t3"}, {ID: "t2", Activity: "J", Wait: "join"}},
		Seq:       2, Started: 1700000000000}
	b, err := msgpack.Marshal(&mirror)
	if err != nil {
		t.Fatal(err)
	}
	st, err := DecodeState(b)
	if err != nil {
		t.Fatalf("decode a reflection-encoded state: %v", err)
	}
	want := &State{ID: "i1", ProcessKey: "order", DefinitionVersion: 3, BusinessKey: "b-1", Variables: mirror.Variables,
		Tokens: []*Token{{ID: "t1", Activity: "A", Wait: WaitJob, Job: "i1:2:0", Via: "f1", Parent: "t3"}, {ID: "t2", Activity: "J", Wait: WaitJoin}},
		Seq:    2, Started: 1700000000000}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("decoded %+v, want %+v", st, want)
	}
	enc, err := EncodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	var back stateMirror
	if err := msgpack.Unmarshal(enc, &back); err != nil {
		t.Fatalf("a reflection decoder reads the hand-written state: %v", err)
	}
	back.Variables = mirror.Variables // numbers' widths differ by decoder; compared above
	if !reflect.DeepEqual(back, mirror) {
		t.Fatalf("round trip through the hand-written encoder: %+v, want %+v", back, mirror)
	}

	jm := jobMirror{V: 1, ID: "i1:2:0", Instance: "i1", Type: "com.acme.Charge", Kind: 2, Token: "t1", Activity: "A", Exclusive: true, Created: 5}
	jb, _ := msgpack.Marshal(&jm)
	j, err := job.Decode(jb)
	if err != nil || j.ID != jm.ID || j.Type != jm.Type || j.Kind != job.After || !j.Exclusive || j.Created != 5 {
		t.Fatalf("job from a reflection encoder: %+v %v", j, err)
	}
	eb, _ := job.Encode(j)
	var jback jobMirror
	if err := msgpack.Unmarshal(eb, &jback); err != nil || jback != jm {
		t.Fatalf("job to a reflection decoder: %+v %v, want %+v", jback, err, jm)
	}

	events := []HistoryEvent{{Type: EventActivityStart, Activity: "A", Token: "t1", Time: 9}}
	hb, _ := EncodeHistory(events)
	var generic []map[string]any
	if err := msgpack.Unmarshal(hb, &generic); err != nil || generic[0]["a"] != "A" || generic[0]["tk"] != "t1" {
		t.Fatalf("history as generic maps: %v %v", generic, err)
	}
}
