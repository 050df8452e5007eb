// An external task worker for Baton, in Node.js with the official nats package: it speaks only
// NATS (docs/external-workers.md). It takes the tasks of one topic from the durable consumer
// ext-<topic> of the stream BATON_EXT, keeps its lock alive while it works, and answers on
// baton.ext.cmd.complete, baton.ext.cmd.fail or baton.ext.cmd.bpmnError.
//
//   NATS_URL=nats://127.0.0.1:4222 TOPIC=invoice-archive node worker.mjs
//
// The example "archives" an invoice: it answers with a BPMN error INVOICE_MISSING when the
// task has no invoiceId, fails (to be retried) when the variable failOnce is true on the first
// attempt, and completes with archivedBy and archiveRef otherwise.
import { connect, JSONCodec } from "nats";

const servers = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const topic = process.env.TOPIC ?? "invoice-archive";
const jc = JSONCodec();

// encodeToken is Baton's encoding of a topic into one subject token and consumer name: letters,
// digits, '-' and '_' stay; every other byte becomes ~XX (upper-case hex).
function encodeToken(s) {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : "~" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

const nc = await connect({ servers });
const js = nc.jetstream();
// The engine creates the consumer when it first offers a task of the topic; wait for it.
let consumer;
for (;;) {
  try {
    consumer = await js.consumers.get("BATON_EXT", "ext-" + encodeToken(topic));
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
console.log(`external worker for topic ${topic} on ${servers}`);

const messages = await consumer.consume();
for await (const m of messages) {
  const task = jc.decode(m.data);
  // Keep the lock while working: each "working" acknowledgement restarts the ack wait.
  const keepAlive = setInterval(() => m.working(), 1000);
  try {
    let command, answer;
    if (!task.variables.invoiceId) {
      command = "bpmnError";
      answer = { taskId: task.taskId, code: "INVOICE_MISSING", error: "no invoiceId" };
    } else if (task.variables.failOnce && task.attempt === 1) {
      command = "fail";
      answer = { taskId: task.taskId, error: "archive unavailable", retryAfter: "1s" };
    } else {
      command = "complete";
      answer = {
        taskId: task.taskId,
        variables: { archivedBy: "node", archiveRef: `AR-${task.variables.invoiceId}`, attempt: task.attempt },
      };
    }
    // Answer first, then acknowledge: a worker that dies in between leaves the task to be
    // offered again, and Baton drops the second answer.
    await js.publish("baton.ext.cmd." + command, jc.encode(answer), { msgID: `${task.taskId}:${command}:${task.attempt}` });
    m.ack();
    console.log(`${command} ${task.taskId}`);
  } catch (err) {
    console.error(`task ${task.taskId}: ${err}`);
    m.nak(1000);
  } finally {
    clearInterval(keepAlive);
  }
}
