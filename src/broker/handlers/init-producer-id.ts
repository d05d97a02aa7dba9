/**
 * InitProducerId (src/protocol/apis/init-producer-id.ts), for idempotent producers (transactions
 * are not supported). producerId -1 gets a new id (never given before, across restarts: see
 * producer-ids.ts) at epoch 0. An existing id with its current epoch gets the epoch bumped, which
 * fences the older one (its appends get INVALID_PRODUCER_EPOCH); a stale epoch is refused.
 */
import { RivuletError } from '../../errors.js';
import { InitProducerId, type InitProducerIdRequest } from '../../protocol/apis/init-producer-id.js';
import { type BrokerContext, defineHandler, type Reply } from '../context.js';

/** Epochs are int16; past this a producer gets a new id. */
const MAX_EPOCH = 0x7fff;

function handleInitProducerId(ctx: BrokerContext, req: InitProducerIdRequest, reply: Reply): void {
  if (req.transactionalId !== null) {
    throw new RivuletError('INVALID_REQUEST', 'transactions are not supported: leave transactionalId null');
  }
  if (req.producerId < 0) {
    const producerId = ctx.producerIds.allocate();
    ctx.producers.setEpoch(producerId, 0);
    reply.send({ producerId, producerEpoch: 0 });
    return;
  }
  if (!ctx.producerIds.wasIssued(req.producerId)) {
    throw new RivuletError('UNKNOWN_PRODUCER_ID', `producer id ${req.producerId} was never issued by this broker`);
  }
  const known = ctx.producers.currentEpoch(req.producerId);
  const current = known >= 0 ? known : req.producerEpoch;
  if (req.producerEpoch !== current) {
    throw new RivuletError(
      'INVALID_PRODUCER_EPOCH',
      `producer ${req.producerId} is at epoch ${current}, not ${req.producerEpoch}`,
      {
        details: { producerId: req.producerId, currentEpoch: current },
      },
    );
  }
  if (current + 1 > MAX_EPOCH) {
    const producerId = ctx.producerIds.allocate();
    ctx.producers.setEpoch(producerId, 0);
    reply.send({ producerId, producerEpoch: 0 });
    return;
  }
  ctx.producers.setEpoch(req.producerId, current + 1);
  reply.send({ producerId: req.producerId, producerEpoch: current + 1 });
}

export const initProducerIdHandler = defineHandler(InitProducerId, handleInitProducerId);
