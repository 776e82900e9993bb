-- Admin accounts: disabling an admin, and invitations to an app by a one-time link.

-- A disabled admin cannot log in, and the tokens it holds stop working at once.
ALTER TABLE admins ADD COLUMN disabled boolean NOT NULL DEFAULT false;

-- An owner's invitation of an email to an app with a role. Only the SHA-256 of the link's token
-- is kept; the row is consumed (accepted_at set) by the first acceptance.
CREATE TABLE admin_invitations (
    id          bigserial PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('developer', 'viewer')),
    token_hash  text NOT NULL UNIQUE,
    invited_by  bigint REFERENCES admins (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);
CREATE INDEX admin_invitations_app ON admin_invitations (app_id) WHERE accepted_at IS NULL;
