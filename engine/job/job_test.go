package job

import (
	"errors"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	in := &Job{ID: ID("i1", 3, 1), Instance: "i1", Type: "com.acme.Charge", Kind: After, Token: "t2",
		Activity: "Charge", Exclusive: true, Created: 1700000000000}
	b, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) || out.ID != "i1:3:1" || out.V != 1 {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
}

func TestWaitJobsRoundTripTheirCompletionKeyAndUserTask(t *testing.T) {
	t.Parallel()
	in := &Job{ID: "i:2:0", Instance: "i", Type: "_userTask", Kind: Wait, Token: "t1", Activity: "Approve", Exclusive: true,
		For: "i:1:0", Fence: 7, User: &UserTask{Process: "p", Version: 2, Name: "Approve", Assignee: "ann",
			CandidateGroups: []string{"sales"}, FormKey: "f", Due: 5, Priority: 3}}
	b, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil || out.For != in.For || out.Fence != 7 || out.User == nil || out.User.Assignee != "ann" ||
		out.User.CandidateGroups[0] != "sales" || out.User.Version != 2 || out.V != 2 {
		t.Fatalf("round trip: %+v (user %+v) %v", out, out.User, err)
	}
}

func TestNewKindsAreWrittenAsSchemaVersion2(t *testing.T) {
	t.Parallel()
	for _, k := range []Kind{Call, Return, End, Wait} {
		b, err := Encode(&Job{ID: "a:1:0", Instance: "a", Type: "t", Kind: k, Token: "t1", Activity: "A"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := Decode(b)
		if err != nil || out.V != 2 || out.Kind != k {
			t.Fatalf("%v: %+v %v, want version 2: a build that reads only version 1 sees a newer job", k, out, err)
		}
		old, _ := msgpack.Marshal(&Job{V: 1, ID: "a:1:0", Instance: "a", Type: "t", Kind: k, Token: "t1", Activity: "A"})
		if _, err := Decode(old); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v as version 1: err = %v, want ErrMalformed", k, err)
		}
	}
}

func TestDecodeRejectsWhatIsNotAnEnvelope(t *testing.T) {
	t.Parallel()
	future, _ := msgpack.Marshal(&Job{V: SchemaVersion + 1, ID: "a:1:0", Instance: "a", Type: "t", Kind: Before, Token: "t1", Activity: "A"})
	partial, _ := msgpack.Marshal(map[string]any{"v": 1, "id": "a:1:0"})
	badKind, _ := msgpack.Marshal(&Job{V: 1, ID: "a:1:0", Instance: "a", Type: "t", Kind: 9, Token: "t1", Activity: "A"})
	for name, b := range map[string][]byte{"garbage": []byte("{not msgpack"), "empty": nil,
		"missing fields": partial, "unknown kind": badKind} {
		if _, err := Decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	if _, err := Decode(future); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("newer schema: err = %v, want ErrNewerSchema, which is not poison", err)
	}
}
