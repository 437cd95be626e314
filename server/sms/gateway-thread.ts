// Worker thread: sends texts to the operator's gateway for ThreadedSmsSender.
import { parentPort, workerData } from 'node:worker_threads';
import { type HttpGatewayOptions, HttpGatewaySmsSender } from './http-gateway.ts';
import { SmsDeliveryError } from './sms.ts';
import type { SendReply, SendRequest } from './threaded-sender.ts';

const port = parentPort!;
const sender = new HttpGatewaySmsSender((workerData as { data: HttpGatewayOptions }).data);

/** Answers not yet posted back: posted together at the end of this turn, as the texts came. */
let replies: SendReply[] = [];
const reply = (answer: SendReply) => {
  if (replies.push(answer) === 1) {
    setImmediate(() => {
      port.postMessage(replies);
      replies = [];
    });
  }
};

port.on('message', (batch: SendRequest[]) => {
  for (const { id, message } of batch) {
    sender.send(message).then(
      () => reply({ id, ok: true }),
      (err: unknown) =>
        reply({
          id,
          ok: false,
          error: (err as Error).message,
          retryable: err instanceof SmsDeliveryError ? err.retryable : true,
        }),
    );
  }
});
