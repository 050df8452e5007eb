package model

import (
	"reflect"
	"testing"
)

// graph builds a linked definition from nodes and "source>target" flows.
func graph(t *testing.T, nodes []*Node, flows ...string) *Definition {
	t.Helper()
	d := &Definition{Key: "p", Version: 1, Nodes: map[string]*Node{}, Flows: map[string]*Flow{}}
	for _, n := range nodes {
		d.Nodes[n.ID] = n
	}
	for i, f := range flows {
		var src, dst string
		for j := range f {
			if f[j] == '>' {
				src, dst = f[:j], f[j+1:]
			}
		}
		id := "f" + string(rune('a'+i))
		d.Flows[id] = &Flow{ID: id, Source: src, Target: dst}
		d.Nodes[src].Outgoing = append(d.Nodes[src].Outgoing, id)
		d.Nodes[dst].Incoming = append(d.Nodes[dst].Incoming, id)
	}
	if err := d.Link(); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSegmentsFollowTheAsyncMarkers(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{
		{ID: "S", Kind: StartEvent},
		{ID: "A", Kind: ServiceTask, TaskType: "a"},
		{ID: "B", Kind: ServiceTask, TaskType: "b", AsyncBefore: true, AsyncAfter: true},
		{ID: "F", Kind: ParallelGateway},
		{ID: "C", Kind: ServiceTask, TaskType: "c"},
		{ID: "D", Kind: ServiceTask, TaskType: "d", AsyncExpr: "big"},
		{ID: "J", Kind: ParallelGateway},
		{ID: "E", Kind: EndEvent},
	}, "S>A", "A>B", "B>F", "F>C", "F>D", "C>J", "D>J", "J>E")
	got := Segments(d)
	want := []Segment{
		{Entry: "start", Activities: []string{"S", "A"}, TaskTypes: []string{"a"}, Ends: []string{"before B"}},
		{Entry: "before B", JobType: "b", Activities: []string{"B"}, TaskTypes: []string{"b"}, Ends: []string{"after B"}},
		{Entry: "after B", JobType: DefaultEngineType, Activities: []string{"F", "C", "J", "E", "D"}, TaskTypes: []string{"c", "d"},
			Ends: []string{"join J", "end E", "maybe before D"}},
		{Entry: "before D", JobType: "d", Activities: []string{"D", "J", "E"}, TaskTypes: []string{"d"}, Ends: []string{"join J", "end E"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("segments:\n got %+v\nwant %+v", got, want)
	}
}

func TestAsyncStartEventMakesTheFirstSegmentAJob(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{{ID: "S", Kind: StartEvent, AsyncBefore: true}, {ID: "E", Kind: EndEvent}}, "S>E")
	got := Segments(d)
	if len(got) != 1 || got[0].Entry != "before S" || got[0].JobType != DefaultEngineType {
		t.Fatalf("segments = %+v, want one job segment before S on the engine type", got)
	}
}

func TestSegmentsOfCallActivitiesAndMultiInstance(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{
		{ID: "S", Kind: StartEvent},
		{ID: "M", Kind: ServiceTask, TaskType: "m", Loop: &MultiInstance{Cardinality: "3", AsyncBefore: true, AsyncAfter: true},
			Listeners: []Listener{{Event: ListenerStart, TaskType: "audit"}}},
		{ID: "C", Kind: CallActivity, Call: &CallSpec{ProcessKey: "child"}},
		{ID: "E", Kind: EndEvent},
	}, "S>M", "M>C", "C>E")
	got := Segments(d)
	want := []Segment{
		{Entry: "start", Activities: []string{"S", "M#multiInstanceBody"}, TaskTypes: []string{}, Ends: []string{"before each M"}},
		{Entry: "each M", JobType: "m", Activities: []string{"M"}, TaskTypes: []string{"audit", "m"}, Ends: []string{"after each M"}},
		{Entry: "after-each M", JobType: DefaultEngineType, Activities: []string{"C"}, TaskTypes: []string{},
			Ends: []string{"join M#multiInstanceBody", "call C"}},
		{Entry: "call C", JobType: DefaultEngineType, Activities: []string{"C"}, TaskTypes: []string{}, Ends: []string{"child of C"}},
		{Entry: "return C", JobType: DefaultEngineType, Activities: []string{"E"}, TaskTypes: []string{}, Ends: []string{"end E"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("segments:\n got %+v\nwant %+v", got, want)
	}
}

func TestSegmentsOfASequentialMultiInstanceAsyncOnItsBody(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{
		{ID: "S", Kind: StartEvent},
		{ID: "M", Kind: ServiceTask, TaskType: "m", AsyncBefore: true,
			Loop: &MultiInstance{Cardinality: "3", Sequential: true, AsyncBefore: true}},
		{ID: "E", Kind: EndEvent},
	}, "S>M", "M>E")
	got := Segments(d)
	want := []Segment{
		{Entry: "start", Activities: []string{"S"}, TaskTypes: []string{}, Ends: []string{"before M"}},
		// The body's job is the engine's: the inner instances call the delegate.
		{Entry: "before M", JobType: DefaultEngineType, Activities: []string{"M#multiInstanceBody"}, TaskTypes: []string{},
			Ends: []string{"before each M"}},
		{Entry: "each M", JobType: "m", Activities: []string{"M", "E"}, TaskTypes: []string{"m"}, Ends: []string{"before each M", "end E"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("segments:\n got %+v\nwant %+v", got, want)
	}
}

func TestTheReturnSegmentOfACallActivityRunsItsEndListenersAndErrorPaths(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{
		{ID: "S", Kind: StartEvent},
		{ID: "C", Kind: CallActivity, Call: &CallSpec{ProcessKey: "child"},
			Listeners: []Listener{{Event: ListenerStart, TaskType: "begin"}, {Event: ListenerEnd, TaskType: "audit"}}},
		{ID: "Err", Kind: BoundaryEvent, AttachedTo: "C"},
		{ID: "Failed", Kind: EndEvent},
		{ID: "E", Kind: EndEvent},
	}, "S>C", "C>E", "Err>Failed")
	got := Segments(d)
	want := []Segment{
		{Entry: "start", Activities: []string{"S", "C"}, TaskTypes: []string{"begin"}, Ends: []string{"call C"}},
		{Entry: "call C", JobType: DefaultEngineType, Activities: []string{"C"}, TaskTypes: []string{}, Ends: []string{"child of C"}},
		{Entry: "return C", JobType: "audit", Activities: []string{"E", "Err", "Failed"}, TaskTypes: []string{"audit"},
			Ends: []string{"end E", "end Failed"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("segments:\n got %+v\nwant %+v", got, want)
	}
}

func TestAnAsyncNodeWithStartListenersIsAJobOfTheirType(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{
		{ID: "S", Kind: StartEvent},
		{ID: "A", Kind: Task, AsyncBefore: true, Listeners: []Listener{{Event: ListenerStart, TaskType: "audit"}}},
		{ID: "E", Kind: EndEvent},
	}, "S>A", "A>E")
	if got := Segments(d); len(got) != 2 || got[1].Entry != "before A" || got[1].JobType != "audit" {
		t.Fatalf("segments %+v: want A's job on its start listener's type", got)
	}
}

func TestWaitStatesEndASegmentAndTheirCompletionStartsOne(t *testing.T) {
	t.Parallel()
	d := graph(t, []*Node{
		{ID: "S", Kind: StartEvent},
		{ID: "U", Kind: UserTask, User: &UserTaskSpec{}},
		{ID: "R", Kind: ReceiveTask, EventRef: "paid"},
		{ID: "E", Kind: EndEvent},
	}, "S>U", "U>R", "R>E")
	got := Segments(d)
	want := []Segment{
		{Entry: "start", Activities: []string{"S", "U"}, TaskTypes: []string{}, Ends: []string{"wait U"}},
		{Entry: "complete U", Activities: []string{"R"}, TaskTypes: []string{}, Ends: []string{"wait R"}},
		{Entry: "complete R", Activities: []string{"E"}, TaskTypes: []string{}, Ends: []string{"end E"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("segments:\n got %+v\nwant %+v", got, want)
	}
}
