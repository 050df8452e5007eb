package engine_test

import (
	"fmt"
	"testing"

	"github.com/batonhq/baton/pkg/baton"
)

// TestModellerFiles runs real model files, saved as each modeller saves them (diagram
// interchange, extension elements and namespaces included), and checks where every commit fell,
// the history and the variables. The harness and the notation of commit points are in
// modeller_helpers_test.go.
func TestModellerFiles(t *testing.T) {
	t.Parallel()
	for _, row := range modellerRows() {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			runModel(t, row)
		})
	}
}

// chargeCard declines the card "declined" with a BPMN error, and charges any other.
func chargeCard(tk *baton.Task) error {
	if tk.Var("card") == "declined" {
		return baton.NewBPMNError("CARD_DECLINED", "insufficient funds")
	}
	tk.SetVar("charged", true)
	return nil
}

func modellerRows() []modelRun {
	orderDelegates := map[string]fake{
		"com.acme.order.ValidateOrder":  sets("valid", true),
		"com.acme.order.FraudCheck":     sets("fraudChecked", true),
		"com.acme.order.ChargeCard":     chargeCard,
		"com.acme.order.ShipOrder":      sets("shipped", true),
		"com.acme.order.NotifyCustomer": sets("notified", true),
	}
	orderWatch := []string{"valid", "fraudChecked", "charged", "shipped", "declineCode", "notified"}
	return []modelRun{
		{
			// Camunda 7: asyncAfter on the fraud check, asyncBefore on the charge; the
			// exclusive gateway takes the conditional flow; ChargeCard and ShipOrder share a step.
			name: "camunda7 order, large amount", file: "camunda7_order.bpmn", process: "order-fulfilment",
			vars:      map[string]any{"amount": 150, "card": "visa"},
			delegates: orderDelegates, watch: orderWatch,
			commits: []string{
				"start {ValidateOrder,FraudCheck} => Activity_1frd3mz:after | valid=true fraudChecked=true",
				"after Activity_1frd3mz => Activity_1chrg4e:before | valid=true fraudChecked=true",
				"before Activity_1chrg4e {ChargeCard,ShipOrder} => completed | valid=true fraudChecked=true charged=true shipped=true",
			},
			history: []string{"StartEvent_1", "Activity_0vldt8k", "Gateway_0amt5rx", "Activity_1frd3mz", "Gateway_1mrg0kd",
				"Activity_1chrg4e", "Activity_0shp9qa", "Event_1ordr2x"},
			final: map[string]any{"amount": int64(150), "card": "visa", "valid": true, "fraudChecked": true, "charged": true, "shipped": true},
		},
		{
			// The default flow skips the fraud check; the declined card leaves the charge through
			// the error boundary event, which sets errorCodeVariable and errorMessageVariable.
			name: "camunda7 order, card declined", file: "camunda7_order.bpmn", process: "order-fulfilment",
			vars:      map[string]any{"amount": 40, "card": "declined"},
			delegates: orderDelegates, watch: orderWatch,
			commits: []string{
				"start {ValidateOrder} => Activity_1chrg4e:before | valid=true",
				"before Activity_1chrg4e {ChargeCard,NotifyCustomer} => completed | valid=true declineCode=CARD_DECLINED notified=true",
			},
			history: []string{"StartEvent_1", "Activity_0vldt8k", "Gateway_0amt5rx", "Gateway_1mrg0kd",
				"!Activity_1chrg4e", "Event_0dcln7w", "Activity_0ntfy3c", "Event_1cncl8d"},
			final: map[string]any{"amount": int64(40), "card": "declined", "valid": true, "declineCode": "CARD_DECLINED",
				"declineReason": "insufficient funds", "notified": true},
		},
		{
			// Camunda 7: an input/output mapping on a service task (an expression, a constant, and
			// outputs read from its local scope), start and end listeners around it, a take
			// listener on the next flow, and an embedded subprocess with a scope of its own that a
			// JavaScript script task updates, committed before its task and after it ends.
			name: "camunda7 invoice, mappings, listeners and a subprocess scope", file: "camunda7_invoice.bpmn", process: "invoice-booking",
			vars: map[string]any{"price": 250, "quantity": 4},
			delegates: map[string]fake{
				"com.acme.invoice.PrepareInvoice": func(tk *baton.Task) error {
					tk.SetLocalVar("number", fmt.Sprintf("INV-%v-%v", tk.Var("total"), tk.Var("currency")))
					return nil
				},
				"com.acme.invoice.AuditListener": appendVar("audit", func(tk *baton.Task) any {
					return fmt.Sprintf("%s:%v", tk.ListenerEvent, tk.Var("total"))
				}),
				"com.acme.invoice.RouteCounter": sets("routedForReview", true),
				"com.acme.invoice.Approve":      sets("approvedBy", "alice"),
			},
			watch: []string{"total", "currency", "number", "approvals", "invoiceNumber", "invoiceTotal", "approvalCount", "approvedBy"},
			commits: []string{
				"start {AuditListener/start,PrepareInvoice,AuditListener/end,RouteCounter/take} => " +
					"Activity_1rvw0sb:scope[approvals=0](Activity_0apr5vd:before) | invoiceNumber=INV-1000-EUR invoiceTotal=1000",
				"before Activity_0apr5vd {Approve} => Activity_1rvw0sb:after | invoiceNumber=INV-1000-EUR invoiceTotal=1000 approvalCount=1 approvedBy=alice",
				"after Activity_1rvw0sb => completed | invoiceNumber=INV-1000-EUR invoiceTotal=1000 approvalCount=1 approvedBy=alice",
			},
			history: []string{"StartEvent_1", "Activity_0prp7iv", "Event_0rvst4a", "Activity_0apr5vd", "Activity_1cnt6js",
				"Event_1rvnd0x", "Activity_1rvw0sb", "Event_0bkd7ne"},
			final: map[string]any{"price": int64(250), "quantity": int64(4), "invoiceNumber": "INV-1000-EUR", "invoiceTotal": int64(1000),
				"audit": []any{"start:1000", "end:1000"}, "routedForReview": true, "approvedBy": "alice", "approvalCount": int64(1)},
		},
		{
			// Camunda 7 multi-instance: a parallel one over a collection, async before its body
			// (one job runs every inner instance), then a sequential one whose loop
			// characteristics are async before (each inner instance commits) and whose
			// completion condition ends it after two of three.
			name: "camunda7 packing, multi-instance", file: "camunda7_packing.bpmn", process: "parcel-packing",
			vars: map[string]any{"items": []any{"book", "lamp", "mug"}, "parcels": 3, "maxLabels": 2},
			delegates: map[string]fake{
				"com.acme.warehouse.PackItem": appendVar("packed", func(tk *baton.Task) any { return tk.Var("item") }),
				"com.acme.warehouse.PrintLabel": func(tk *baton.Task) error {
					n, _ := tk.Var("labelsPrinted").(int64)
					tk.SetVar("labelsPrinted", n+1)
					return appendVar("labels", func(tk *baton.Task) any {
						return fmt.Sprintf("label %v/%v", tk.Var("loopCounter").(int64)+1, tk.Var("nrOfInstances"))
					})(tk)
				},
			},
			watch: []string{"item", "loopCounter", "nrOfCompletedInstances", "packed", "labelsPrinted"},
			commits: []string{
				"start => Activity_0pck4ms:before",
				"before Activity_0pck4ms {PackItem,PackItem,PackItem} => Activity_1lbl7qx#body:scope[nrOfCompletedInstances=0]" +
					"(Activity_1lbl7qx:before[loopCounter=0]) | packed=[book lamp mug]",
				"before Activity_1lbl7qx {PrintLabel} => Activity_1lbl7qx#body:scope[nrOfCompletedInstances=1]" +
					"(Activity_1lbl7qx:before[loopCounter=1]) | packed=[book lamp mug] labelsPrinted=1",
				"before Activity_1lbl7qx {PrintLabel} => completed | packed=[book lamp mug] labelsPrinted=2",
			},
			history: []string{"StartEvent_1", "Activity_0pck4ms", "Activity_0pck4ms", "Activity_0pck4ms", "Activity_0pck4ms#body",
				"Activity_1lbl7qx", "Activity_1lbl7qx", "Activity_1lbl7qx#body", "Event_0pckd9x"},
			final: map[string]any{"items": []any{"book", "lamp", "mug"}, "parcels": int64(3), "maxLabels": int64(2),
				"packed": []any{"book", "lamp", "mug"}, "labelsPrinted": int64(2), "labels": []any{"label 1/3", "label 2/3"}},
		},
		{
			// Camunda 7 call activity, async before, calling the other pool's process: the
			// business key and every variable go in, camunda:out brings back a variable and an
			// expression over the child's variables, and nothing else.
			name: "camunda7 shipping, call activity", file: "camunda7_shipping.bpmn", process: "order-shipping",
			business: "order-A-17", vars: map[string]any{"orderId": "A-17"},
			delegates: map[string]fake{
				"com.acme.order.TakePayment":   sets("paid", true),
				"com.acme.shipping.PackParcel": sets("packed", true),
				"com.acme.shipping.BookCarrier": func(tk *baton.Task) error {
					tk.SetVar("trackingNumber", fmt.Sprint("TRK-", tk.Var("orderId")))
					tk.SetVar("carrier", "DHL")
					return nil
				},
				"com.acme.order.ConfirmOrder": sets("confirmed", true),
			},
			watch: []string{"orderId", "paid", "packed", "trackingNumber", "tracking", "serviceLevel", "confirmed"},
			commits: []string{
				"start {TakePayment} => Activity_1shp6cl:before | orderId=A-17 paid=true",
				"before Activity_1shp6cl => Activity_1shp6cl:call | orderId=A-17 paid=true",
				"call Activity_1shp6cl {PackParcel} => Activity_1shp6cl:call{key=order-A-17 Activity_1bkc3tr:before | orderId=A-17 paid=true packed=true} | orderId=A-17 paid=true",
				"ship-parcel/before Activity_1bkc3tr {BookCarrier} => Activity_1shp6cl:call{key=order-A-17 completed | orderId=A-17 paid=true packed=true trackingNumber=TRK-A-17} | orderId=A-17 paid=true",
				// The return hands the child's result to the call activity; its End job continues.
				"ship-parcel/return Activity_1shp6cl => Activity_1shp6cl:end | orderId=A-17 paid=true",
				"end Activity_1shp6cl {ConfirmOrder} => completed | orderId=A-17 paid=true tracking=TRK-A-17 serviceLevel=express confirmed=true",
			},
			history:      []string{"StartEvent_1", "Activity_0pay3kd", "Activity_1shp6cl", "Activity_0cnf8rm", "Event_0dlvr4s"},
			childHistory: [][]string{{"Event_1shpst2", "Activity_0pck2lb", "Activity_1bkc3tr", "Event_0pshd5x"}},
			final:        map[string]any{"orderId": "A-17", "paid": true, "tracking": "TRK-A-17", "serviceLevel": "express", "confirmed": true},
		},
		{
			// Camunda 8: no async markers, so each job worker deployment serving one task type
			// makes every service task a commit point. FEEL input and output mappings, an
			// inclusive fork and join, and a multi-instance with an input and output collection
			// whose result is local through an input mapping, as Zeebe's documentation advises.
			name: "zeebe fulfilment, per-type workers", file: "zeebe_fulfilment.bpmn", process: "fulfil-order", perType: true,
			vars: map[string]any{"customer": map[string]any{"tier": "silver"}, "giftWrap": true, "items": []any{"A1", "B2", "C3"}},
			delegates: map[string]fake{
				"price-order": func(tk *baton.Task) error {
					total := int64(120)
					if tk.Var("tier") == "gold" {
						total = 90
					}
					tk.SetLocalVar("total", total)
					return nil
				},
				"wrap-gift":     sets("wrapped", true),
				"insure-parcel": sets("insured", true),
				"reserve-stock": func(tk *baton.Task) error { tk.SetVar("result", fmt.Sprint("R-", tk.Var("item"))); return nil },
			},
			watch: []string{"tier", "total", "orderTotal", "priority", "wrapped", "insured", "item", "result", "reservations"},
			commits: []string{
				"start => Activity_0prc4ql:before",
				"before Activity_0prc4ql {price-order} => Activity_1wrp2gf:before Activity_0ins7pc:before | orderTotal=120 priority=false",
				"before Activity_1wrp2gf {wrap-gift} => Gateway_1inc0jn:join Activity_0ins7pc:before | orderTotal=120 priority=false wrapped=true",
				"before Activity_0ins7pc {insure-parcel} => Activity_0rsv9st#body:scope[reservations=[<nil> <nil> <nil>]](Activity_0rsv9st:before[item=A1] " +
					"Activity_0rsv9st:before[item=B2] Activity_0rsv9st:before[item=C3]) | orderTotal=120 priority=false wrapped=true insured=true",
				"before Activity_0rsv9st {reserve-stock} => Activity_0rsv9st#body:scope[reservations=[R-A1 <nil> <nil>]](Activity_0rsv9st:before[item=B2] " +
					"Activity_0rsv9st:before[item=C3]) | orderTotal=120 priority=false wrapped=true insured=true",
				"before Activity_0rsv9st {reserve-stock} => Activity_0rsv9st#body:scope[reservations=[R-A1 R-B2 <nil>]](Activity_0rsv9st:before[item=C3]) " +
					"| orderTotal=120 priority=false wrapped=true insured=true",
				"before Activity_0rsv9st {reserve-stock} => completed | orderTotal=120 priority=false wrapped=true insured=true reservations=[R-A1 R-B2 R-C3]",
			},
			history: []string{"StartEvent_1", "Activity_0prc4ql", "Gateway_0inc5fk", "Activity_1wrp2gf", "Activity_0ins7pc", "Gateway_1inc0jn",
				"Activity_0rsv9st", "Activity_0rsv9st", "Activity_0rsv9st", "Activity_0rsv9st#body", "Event_0ful7dn"},
			final: map[string]any{"customer": map[string]any{"tier": "silver"}, "giftWrap": true, "items": []any{"A1", "B2", "C3"},
				"orderTotal": int64(120), "priority": false, "wrapped": true, "insured": true, "reservations": []any{"R-A1", "R-B2", "R-C3"}},
		},
		{
			// Camunda 8 call activity: the parent's variables and the call activity's input
			// mapping go in (propagateAllParentVariables defaults to true), only the output
			// mapping comes back (propagateAllChildVariables="false").
			name: "zeebe returns, call activity with output mapping", file: "zeebe_returns.bpmn", process: "handle-return", perType: true,
			vars: map[string]any{"order": map[string]any{"id": "A-17", "total": 80}},
			delegates: map[string]fake{
				"inspect-item": sets("inspected", true),
				"refund-card": func(tk *baton.Task) error {
					tk.SetVar("refundId", fmt.Sprint("RF-", tk.Var("amount")))
					tk.SetVar("providerLog", "accepted")
					return nil
				},
				"notify-customer": sets("notified", true),
			},
			watch: []string{"inspected", "amount", "refundId", "refundReference", "notified"},
			commits: []string{
				"start => Activity_0ins3pt:before",
				"before Activity_0ins3pt {inspect-item} => Activity_1rfd6ca:call[amount=80] | inspected=true",
				"call Activity_1rfd6ca => Activity_1rfd6ca:call{Activity_0rfc4cd:before | inspected=true amount=80}[amount=80] | inspected=true",
				"refund-payment/before Activity_0rfc4cd {refund-card} => Activity_1rfd6ca:call{completed | inspected=true amount=80 refundId=RF-80}[amount=80] | inspected=true",
				"refund-payment/return Activity_1rfd6ca => Activity_1rfd6ca:end[amount=80] | inspected=true",
				"end Activity_1rfd6ca => Activity_1nty8cs:before | inspected=true refundReference=RF-80",
				"before Activity_1nty8cs {notify-customer} => completed | inspected=true refundReference=RF-80 notified=true",
			},
			history:      []string{"StartEvent_1", "Activity_0ins3pt", "Activity_1rfd6ca", "Activity_1nty8cs", "Event_0rtnd3k"},
			childHistory: [][]string{{"Event_0rfst1a", "Activity_0rfc4cd", "Event_1rfnd6e"}},
			final: map[string]any{"order": map[string]any{"id": "A-17", "total": int64(80)}, "inspected": true,
				"refundReference": "RF-80", "notified": true},
		},
		{
			// Flowable: flowable:async with flowable:exclusive="false", flowable:async with
			// flowable:asyncLeave, flowable:class and flowable:delegateExpression, execution
			// listeners, a parallel fork and join, and a JavaScript script task after the join.
			name: "flowable order, parallel branches", file: "flowable_order.bpmn", process: "orderFlow",
			vars: map[string]any{"total": 250},
			delegates: map[string]fake{
				"orderValidator":              sets("valid", true),
				"com.acme.flow.ReserveStock":  sets("reserved", true),
				"paymentService":              sets("paid", true),
				"com.acme.flow.AuditListener": appendVar("audit", func(tk *baton.Task) any { return tk.ListenerEvent + "@" + tk.ActivityID }),
			},
			watch: []string{"valid", "reserved", "paid", "loyaltyPoints"},
			commits: []string{
				"start {AuditListener/start,orderValidator} => reserveStock:before(non-exclusive) chargePayment:before | valid=true",
				"before reserveStock {ReserveStock} => joinGateway:join chargePayment:before | valid=true reserved=true",
				"before chargePayment {paymentService,AuditListener/end} => joinGateway:join chargePayment:after | valid=true reserved=true paid=true",
				"after chargePayment => completed | valid=true reserved=true paid=true loyaltyPoints=25",
			},
			history: []string{"startEvent1", "validateOrder", "forkGateway", "reserveStock", "chargePayment", "joinGateway",
				"computeLoyalty", "endEvent1"},
			final: map[string]any{"total": int64(250), "valid": true, "reserved": true, "paid": true,
				"audit": []any{"start@validateOrder", "end@chargePayment"}, "loyaltyPoints": int64(25)},
		},
		{
			// Activiti: activiti:async tasks in a subprocess's parallel branches; the terminate end
			// event ends the subprocess, cancelling the other branch's job in the same commit.
			name: "activiti claim, terminate in a subprocess", file: "activiti_claim.bpmn", process: "claimProcess",
			vars: map[string]any{"policy": "expired"}, delegates: claimDelegates(), watch: claimWatch,
			commits: []string{
				"start {RegisterClaim} => subprocess1:scope(servicetask2:before servicetask3:before) | registered=true",
				"before servicetask2 {CheckPolicy} => servicetask4:before | registered=true policyValid=false",
				"before servicetask4 {SettleClaim} => completed | registered=true policyValid=false settlement=0",
			},
			history: []string{"startevent1", "servicetask1", "startevent2", "parallelgateway1", "servicetask2", "exclusivegateway1",
				"terminateendevent1", "subprocess1", "servicetask4", "endevent1"},
			final: map[string]any{"policy": "expired", "registered": true, "policyValid": false, "settlement": int64(0)},
		},
		{
			name: "activiti claim, both branches", file: "activiti_claim.bpmn", process: "claimProcess",
			vars: map[string]any{"policy": "active"}, delegates: claimDelegates(), watch: claimWatch,
			commits: []string{
				"start {RegisterClaim} => subprocess1:scope(servicetask2:before servicetask3:before) | registered=true",
				"before servicetask2 {CheckPolicy} => subprocess1:scope(servicetask3:before) | registered=true policyValid=true",
				"before servicetask3 {EstimateDamage} => servicetask4:before | registered=true policyValid=true estimate=1200",
				"before servicetask4 {SettleClaim} => completed | registered=true policyValid=true estimate=1200 settlement=1200",
			},
			history: []string{"startevent1", "servicetask1", "startevent2", "parallelgateway1", "servicetask2", "exclusivegateway1",
				"endevent2", "servicetask3", "endevent3", "subprocess1", "servicetask4", "endevent1"},
			final: map[string]any{"policy": "active", "registered": true, "policyValid": true, "estimate": int64(1200), "settlement": int64(1200)},
		},
		{
			// jBPM (Business Central): customAsync metadata on a Java service task and on a
			// work item task, and a Java condition on the exclusive gateway.
			name: "jbpm loan, approved", file: "jbpm_loan.bpmn", process: "loans.LoanApplication",
			vars: map[string]any{"amount": 5000}, delegates: loanDelegates, watch: []string{"score", "decision"},
			commits: []string{
				"start => " + jbpmScore + ":before",
				"before " + jbpmScore + " {score} => " + jbpmApprove + ":before | score=720",
				"before " + jbpmApprove + " {ApproveLoan} => completed | score=720 decision=approved",
			},
			history: []string{jbpmStart, jbpmScore, jbpmGateway, jbpmApprove, "_D15C81AB-37EE-4809-B43F-FEF997031DFE"},
			final:   map[string]any{"amount": int64(5000), "score": int64(720), "decision": "approved"},
		},
		{
			name: "jbpm loan, rejected", file: "jbpm_loan.bpmn", process: "loans.LoanApplication",
			vars: map[string]any{"amount": 50000}, delegates: loanDelegates, watch: []string{"score", "decision"},
			commits: []string{
				"start => " + jbpmScore + ":before",
				"before " + jbpmScore + " {score,RejectLoan} => completed | score=540 decision=rejected",
			},
			history: []string{jbpmStart, jbpmScore, jbpmGateway, jbpmReject, "_4A08FB9A-4AE6-471C-84D7-44E1AABBE272"},
			final:   map[string]any{"amount": int64(50000), "score": int64(540), "decision": "rejected"},
		},
	}
}

// The ids of jbpm_loan.bpmn, as jBPM's designer generates them.
const (
	jbpmStart   = "_54B91C32-1C69-4B1B-A8B8-F8DC1D431358"
	jbpmScore   = "_4482CBC6-95BF-46C6-9999-FEE83B551B03" // Java service task, customAsync
	jbpmGateway = "_283796A8-266E-48E2-9E41-CE017A9D70CD"
	jbpmApprove = "_AF2E88A4-5E2C-4C48-B143-8A7137A19449" // work item ApproveLoan, customAsync
	jbpmReject  = "_0C4A422E-A678-4FC1-AC48-3359CBF71711" // work item RejectLoan
)

var loanDelegates = map[string]fake{
	"com.acme.loans.ScoringService.score": func(tk *baton.Task) error {
		score := int64(720)
		if tk.Var("amount").(int64) > 10000 {
			score = 540
		}
		tk.SetVar("score", score)
		return nil
	},
	"ApproveLoan": sets("decision", "approved"),
	"RejectLoan":  sets("decision", "rejected"),
}

var claimWatch = []string{"registered", "policyValid", "estimate", "settlement"}

func claimDelegates() map[string]fake {
	return map[string]fake{
		"com.acme.claims.RegisterClaim":  sets("registered", true),
		"com.acme.claims.CheckPolicy":    func(tk *baton.Task) error { tk.SetVar("policyValid", tk.Var("policy") != "expired"); return nil },
		"com.acme.claims.EstimateDamage": sets("estimate", int64(1200)),
		"com.acme.claims.SettleClaim": func(tk *baton.Task) error {
			settlement := int64(0)
			if tk.Var("policyValid") == true {
				settlement = tk.Var("estimate").(int64)
			}
			tk.SetVar("settlement", settlement)
			return nil
		},
	}
}
