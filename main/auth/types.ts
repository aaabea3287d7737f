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
}
