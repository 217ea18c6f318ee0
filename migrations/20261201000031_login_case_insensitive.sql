-- Logins are unique without regard to case: `Agent1` and `agent1` are one login, and sign-in
-- matches either spelling.
--
-- Existing data may hold logins that differ only in case. They are kept, not merged: in each
-- such group the oldest user (lowest id) keeps the login, and every other one is renamed to
-- `<login>-dup-<id>` (shortened to fit the 64-character limit), which is deterministic and
-- points at the row. Each rename is written to the audit log (`user.renamed`, no actor) so that
-- an admin can tell the people concerned their new login; their passwords are unchanged.
WITH renamed AS (
    SELECT id, login AS old_login,
           left(login, 64 - length('-dup-' || id)) || '-dup-' || id AS new_login
    FROM (
        SELECT id, login,
               row_number() OVER (PARTITION BY lower(login) ORDER BY id) AS position
        FROM users
    ) ranked
    WHERE position > 1
), updated AS (
    UPDATE users u SET login = r.new_login
    FROM renamed r
    WHERE u.id = r.id
    RETURNING u.id, r.old_login, r.new_login
)
INSERT INTO audit_log (actor_id, action, subject, details)
SELECT NULL, 'user.renamed', new_login,
       jsonb_build_object('user', id, 'from', old_login, 'to', new_login,
                          'reason', 'another user had the same login in another case')
FROM updated;

ALTER TABLE users DROP CONSTRAINT users_login_key;
CREATE UNIQUE INDEX users_login_lower_key ON users (lower(login));
