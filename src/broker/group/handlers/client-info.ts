/**
 * Who sent a group request, as the describe apis show it. Rivulet's request header has no client
 * id (Kafka's has), so clientId stays empty; clientHost is the connection's remote address.
 */
import type { ClientInfo } from '../../../group/index.js';
import type { Connection } from '../../connection.js';

export function clientInfo(conn: Connection): ClientInfo {
  return { clientId: '', clientHost: conn.remoteAddress };
}
