/** The auth domain's wire types (what admin.users.* return; main/system/types.ts passes them on to the renderer). */
import type { Role } from '../api/kit';

export interface UserRow {
  userId: number;
  username: string;
  email: string;
  fullName: string | null;
  role: Role;
  isActive: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  /** wrong passwords in the current 15-minute window */
  failedLogins: number;
  /** logins are refused until then (exponential delay after 5 failures) */
  lockedUntil: string | null;
  /** locked after 10 failures until an administrator unlocks (admin.users.unlock) */
  lockedAt: string | null;
  /** locked now (by the database's clock): either of the two */
  locked: boolean;
}
