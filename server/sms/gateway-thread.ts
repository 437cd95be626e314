// Worker thread: sends texts to the operator's gateway for ThreadedSmsSender.
import { parentPort, workerData } from 'node:worker_threads';
import { type HttpGatewayOptions, HttpGatewaySmsSender } from './http-gateway.ts';
import { SmsDeliveryError } from './sms.ts';
import type { SendReply, SendRequest } from './threaded-sender.ts';

const port = parentPort!;
const sender = new HttpGatewaySmsSender((workerData as { data: HttpGatewayOptions }).data);

port.on('message', ({ id, message }: SendRequest) => {
  sender.send(message).then(
    () => port.postMessage({ id, ok: true } satisfies SendReply),
    (err: unknown) =>
      port.postMessage({
        id,
        ok: false,
        error: (err as Error).message,
        retryable: err instanceof SmsDeliveryError ? err.retryable : true,
      } satisfies SendReply),
  );
});
