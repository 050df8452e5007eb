package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// nodeKinds maps the BPMN flow nodes Baton runs to their kind. Send and business-rule tasks are
// service tasks, and a <task> with a task type from any dialect becomes one too, as does a script
// task that names a task type instead of a script (Camunda 8's job worker); the node's Element
// then keeps the BPMN name. A manual task is a plain task (Element "manualTask").
var nodeKinds = map[string]model.NodeKind{
	"startEvent":             model.StartEvent,
	"endEvent":               model.EndEvent,
	"task":                   model.Task,
	"serviceTask":            model.ServiceTask,
	"sendTask":               model.ServiceTask,
	"businessRuleTask":       model.ServiceTask,
	"intermediateThrowEvent": model.ThrowEvent,
	"exclusiveGateway":       model.ExclusiveGateway,
	"parallelGateway":        model.ParallelGateway,
	"inclusiveGateway":       model.InclusiveGateway,
	"scriptTask":             model.ScriptTask,
	"boundaryEvent":          model.BoundaryEvent,
	"subProcess":             model.SubProcess,
	"callActivity":           model.CallActivity,
	"eventBasedGateway":      model.EventGateway,
	"intermediateCatchEvent": model.CatchEvent,
	"receiveTask":            model.ReceiveTask,
	"userTask":               model.UserTask,
	"manualTask":             model.Task, // as Camunda runs it: the token passes through
}

// branching reports whether the outgoing flows of a node of kind k may carry conditions and the
// node may name a default flow.
func branching(k model.NodeKind) bool {
	return k == model.ExclusiveGateway || k == model.InclusiveGateway
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
	"adHocSubProcess":             "model its activities in sequence or in parallel inside an embedded subProcess",
	"transaction":                 "model it as an embedded subProcess; transactions and compensation come later",
	"complexGateway":              "model the branches with inclusiveGateway, exclusiveGateway and parallelGateway",
	"standardLoopCharacteristics": "remove the loop marker and loop back with an exclusiveGateway, or run the activity a fixed number of times with a sequential multiInstanceLoopCharacteristics and a loopCardinality",
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

// throwAdvice says what to model instead of an event definition in an end or intermediate throw
// event, after "remove the event definition".
var throwAdvice = map[string]string{
	"messageEventDefinition":    ", or model the step as a sendTask with a task type whose worker sends the message",
	"signalEventDefinition":     ", or model the step as a sendTask with a task type whose worker broadcasts the signal",
	"linkEventDefinition":       " and connect the two parts of the process with a sequence flow",
	"compensateEventDefinition": "; compensation comes later",
}

// eventDefinitionMessage is the problem text for an event definition inside the flow node parent.
// The event definitions Baton runs (terminate and error end events, error boundary events) never
// get here.
func eventDefinitionMessage(local, parent string) string {
	msg := "unsupported element <" + local + "> in <" + parent + ">; "
	switch {
	case parent == "startEvent":
		return msg + "Baton runs only none, message, signal and timer start events yet: remove the event definition and start instances through Baton"
	case parent == "endEvent":
		return msg + "Baton runs only none, terminate, error and signal end events yet: remove the event definition" + throwAdvice[local]
	case parent == "intermediateThrowEvent":
		return msg + "Baton runs only none and signal intermediate throw events yet: remove the event definition" + throwAdvice[local]
	case parent == "intermediateCatchEvent":
		return msg + "Baton reads only message, timer, signal and conditional intermediate catch events: remove the event definition" + throwAdvice[local]
	case parent == "boundaryEvent":
		return msg + boundaryKind(local) + " boundary events are not supported yet: Baton runs error, timer, message and signal boundary events; remove the event"
	}
	return msg + "Baton does not run it yet: remove it"
}

// boundaryKind names the kind of boundary event the event definition local makes, for messages:
// "timer" for a timerEventDefinition.
func boundaryKind(local string) string {
	switch local {
	case "compensateEventDefinition":
		return "compensation"
	case "eventDefinitionRef":
		return "referenced event definition"
	}
	return strings.TrimSuffix(local, "EventDefinition")
}

// dmnMessage is the problem text for a business rule task that calls a DMN decision; what names the
// decision, e.g. `camunda:decisionRef="approve"`.
func dmnMessage(what string) string {
	return what + ": DMN decisions are not supported; implement the rule as a delegate with a task type"
}
