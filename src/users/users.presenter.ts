/** User rows to API objects: never the password hash, never the throttle counters. */
import { Type, type Static } from '@sinclair/typebox';
import { permissions } from '../auth/principal.js';
import { DateTime, Nullable, StringEnum, Uuid } from '../http/schemas.js';
import type { UserRow } from './users.repository.js';
import { etagOfUser } from './users.service.js';

export const PermissionSchema = StringEnum(permissions);

export const UserSchema = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    name: Type.String(),
    permissions: Type.Array(PermissionSchema),
    scope: Type.String({ description: '"operator" or "customer:<uuid>"' }),
    disabled: Type.Boolean(),
    lastSignInAt: Nullable(DateTime),
    createdBy: Nullable(Type.String()),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'User' },
);
export type UserDto = Static<typeof UserSchema>;

export const presentUser = (r: UserRow): UserDto => ({
  id: r.id,
  email: r.email,
  name: r.name,
  permissions: r.permissions as UserDto['permissions'],
  scope: r.scope,
  disabled: r.disabled,
  lastSignInAt: r.last_sign_in_at ? r.last_sign_in_at.toISOString() : null,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  etag: etagOfUser(r),
});
