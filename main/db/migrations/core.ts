/** Core objects: users and roles (defect-inspection design §3.1) and the audit log (§9.2). */
import type { Migration } from '../migrate';

export const coreMigrations: Migration[] = [
  {
    name: '202611230001_core_users_roles_audit',
    group: 'core',
    sql: /* sql */ `
CREATE TABLE IF NOT EXISTS users (
    user_id SERIAL PRIMARY KEY,
    username VARCHAR(50) UNIQUE NOT NULL,
    email VARCHAR(100) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    full_name VARCHAR(100),
    phone VARCHAR(20),
    is_active BOOLEAN DEFAULT TRUE,
    last_login_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT users_username_check CHECK (LENGTH(username) >= 3),
    CONSTRAINT users_email_check CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$')
);
CREATE INDEX IF NOT EXISTS idx_users_is_active ON users(is_active);
COMMENT ON TABLE users IS '사용자 계정 정보';
COMMENT ON COLUMN users.password_hash IS 'bcrypt 해시된 비밀번호';

CREATE TABLE IF NOT EXISTS roles (
    role_id SERIAL PRIMARY KEY,
    role_name VARCHAR(50) UNIQUE NOT NULL,
    description TEXT,
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT roles_name_check CHECK (role_name IN ('admin', 'manager', 'worker', 'viewer'))
);
INSERT INTO roles (role_name, description) VALUES
 ('admin', '시스템 관리자 - 모든 권한'),
 ('manager', '관리자 - 제품/데이터 관리'),
 ('worker', '작업자 - 검사 수행'),
 ('viewer', '열람자 - 조회만 가능')
ON CONFLICT (role_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS user_roles (
    user_id INTEGER REFERENCES users(user_id) ON DELETE CASCADE,
    role_id INTEGER REFERENCES roles(role_id) ON DELETE CASCADE,
    assigned_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    assigned_by INTEGER REFERENCES users(user_id),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX IF NOT EXISTS idx_user_roles_role ON user_roles(role_id);

-- §9.2, plus who (by name, since users may live in another database), what action, and a free-form target.
CREATE TABLE IF NOT EXISTS audit_logs (
    log_id BIGSERIAL PRIMARY KEY,
    table_name VARCHAR(63),
    operation VARCHAR(10),
    user_id INTEGER,
    username VARCHAR(50),
    action VARCHAR(100) NOT NULL,
    target TEXT,
    old_data JSONB,
    new_data JSONB,
    logged_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_audit_logs_logged_at ON audit_logs(logged_at DESC);
CREATE INDEX IF NOT EXISTS idx_audit_logs_action ON audit_logs(action, logged_at DESC);
`,
  },
  {
    // issue #17 item 4: login throttling and lockout live with the user, so they hold across restarts and stations
    name: '202612070001_core_login_lockout',
    group: 'core',
    sql: /* sql */ `
ALTER TABLE users ADD COLUMN IF NOT EXISTS failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN IF NOT EXISTS last_failed_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN IF NOT EXISTS locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN IF NOT EXISTS locked_at TIMESTAMPTZ;
COMMENT ON COLUMN users.failed_logins IS '연속 로그인 실패 횟수 (15분 창)';
COMMENT ON COLUMN users.locked_until IS '이 시각까지 로그인 잠금 (지수 지연)';
COMMENT ON COLUMN users.locked_at IS '관리자가 해제할 때까지 잠금';
COMMENT ON COLUMN users.password_hash IS 'scrypt$N$r$p$salt$hash (이전 bcrypt 해시는 다음 로그인 때 scrypt로 바뀜)';
`,
  },
];
