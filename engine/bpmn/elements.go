package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// nodeKinds maps the BPMN flow nodes Baton runs to their kind. A <task> with a task type from any
// dialect becomes a model.ServiceTask.
var nodeKinds = map[string]model.NodeKind{
	"startEvent":       model.StartEvent,
	"endEvent":         model.EndEvent,
	"task":             model.Task,
	"serviceTask":      model.ServiceTask,
	"exclusiveGateway": model.ExclusiveGateway,
	"parallelGateway":  model.ParallelGateway,
}

// ignoredInProcess lists the children of <process> that carry no behaviour Baton needs: data,
// lanes, artifacts, people assignment and documentation.
var ignoredInProcess = map[string]bool{
	"documentation":           true,
	"extensionElements":       true,
	"laneSet":                 true,
	"textAnnotation":          true,
	"association":             true,
	"group":                   true,
	"dataObject":              true,
	"dataObjectReference":     true,
	"dataStoreReference":      true,
	"property":                true,
	"ioSpecification":         true,
	"ioBinding":               true,
	"auditing":                true,
	"monitoring":              true,
	"supportedInterfaceRef":   true,
	"correlationSubscription": true,
	"resourceRole":            true,
	"performer":               true,
	"humanPerformer":          true,
	"potentialOwner":          true,
}

// unsupportedAdvice says what to model instead of a BPMN element Baton does not run yet.
var unsupportedAdvice = map[string]string{
	"userTask":                         "model it as a serviceTask with a task type whose worker hands the work to people",
	"manualTask":                       "model it as a plain task (it passes through) or as a serviceTask with a task type",
	"scriptTask":                       "model it as a serviceTask with a task type and run the script in a worker",
	"sendTask":                         "model it as a serviceTask with a task type whose worker sends the message",
	"businessRuleTask":                 "model it as a serviceTask with a task type whose worker evaluates the rules",
	"receiveTask":                      "waiting for messages comes later; model the step as a serviceTask with a task type",
	"subProcess":                       "move its contents into the process itself",
	"adHocSubProcess":                  "move its contents into the process itself",
	"transaction":                      "move its contents into the process itself; transactions and compensation come later",
	"callActivity":                     "copy the called process into this one, or start it from a serviceTask worker",
	"intermediateCatchEvent":           "timers and message waits come later; remove the event",
	"intermediateThrowEvent":           "remove the event, or model the step as a serviceTask with a task type",
	"boundaryEvent":                    "boundary events come later; remove the event and handle the case in the worker",
	"inclusiveGateway":                 "model the branches with exclusiveGateway and parallelGateway",
	"complexGateway":                   "model the branches with exclusiveGateway and parallelGateway",
	"eventBasedGateway":                "waiting for events comes later; use an exclusiveGateway on process variables",
	"multiInstanceLoopCharacteristics": "multi-instance changes how the activity runs; remove the marker and fan out with a parallelGateway or loop with an exclusiveGateway",
	"standardLoopCharacteristics":      "remove the loop marker and loop back with an exclusiveGateway",
}

// unsupportedMessage is the problem text for an element Baton does not run yet.
func unsupportedMessage(local string) string {
	msg := "unsupported element <" + local + ">; Baton does not run it yet"
	if advice, ok := unsupportedAdvice[local]; ok {
		msg += ": " + advice
	}
	return msg
}

// isEventDefinition reports whether a child of a flow node turns it into a non-none event.
func isEventDefinition(local string) bool {
	return strings.HasSuffix(local, "EventDefinition") || local == "eventDefinitionRef"
}

// eventDefinitionMessage is the problem text for an event definition inside the flow node parent.
func eventDefinitionMessage(local, parent string) string {
	switch parent {
	case "startEvent":
		return "unsupported element <" + local + "> in <startEvent>; Baton runs only none start events yet: " +
			"remove the event definition and start instances through Baton"
	case "endEvent":
		return "unsupported element <" + local + "> in <endEvent>; Baton runs only none end events yet: " +
			"remove the event definition"
	}
	return "unsupported element <" + local + "> in <" + parent + ">; Baton does not run it yet: remove it"
}
