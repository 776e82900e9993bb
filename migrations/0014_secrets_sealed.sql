-- Secrets at rest: from this version on, app keys, secret settings, push secrets and the admin
-- token secret are stored sealed (`hs1:<key id>:<base64>`). This migration changes no table: it
-- exists so that a binary from before sealing, which would take the sealed text itself as the
-- key, refuses to start on this database ("newer than this binary knows"). Rolling back past it
-- means restoring the backup taken before the upgrade.
COMMENT ON TABLE hearth_settings IS 'Secrets in this database are sealed (migration 0014).';
