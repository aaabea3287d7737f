/** Connection indicator: transport (IPC/WebSocket) and database reachability from `db.status` events. */
import { create } from 'zustand';

export type ConnState = 'connected' | 'reconnecting' | 'dbDown';
interface ConnectionStore {
  transportUp: boolean;
  dbOk: boolean;
  embedded: boolean;
  dbError?: string;
  /** this station's results waiting to be uploaded (outbox.depth events) */
  outbox: number;
  setOutbox(n: number): void;
  setTransport(up: boolean): void;
  setDb(ok: boolean, embedded: boolean, error?: string): void;
}
export const useConnection = create<ConnectionStore>()((set) => ({
  transportUp: true,
  dbOk: true,
  embedded: false,
  outbox: 0,
  setOutbox: (outbox) => set({ outbox }),
  setTransport: (transportUp) => set({ transportUp }),
  setDb: (dbOk, embedded, dbError) => set({ dbOk, embedded, dbError }),
}));
export const connState = (s: ConnectionStore): ConnState => (!s.transportUp ? 'reconnecting' : s.dbOk ? 'connected' : 'dbDown');
