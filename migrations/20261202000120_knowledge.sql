-- Knowledge at hand (`knowledge/`): product notes per SKU or per category (inherited by its
-- SKUs), the shop's policy articles with their sources, the history of every edit, and which
-- note solved which ticket (counted once per ticket) and how often a note or article was put
-- into a follow-up.

CREATE SEQUENCE knowledge_notes_id_seq;
CREATE TABLE knowledge_notes (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    id           bigint NOT NULL DEFAULT nextval('knowledge_notes_id_seq'),
    scope        text NOT NULL CHECK (scope IN ('sku', 'category')),
    -- The SKU (商品编码) or the category name it is about.
    subject      text NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
    kind         text NOT NULL CHECK (kind IN ('known_issue', 'usage', 'size_chart', 'material', 'intact', 'other')),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body         text NOT NULL DEFAULT '',
    -- For a known issue: the fix, or the decision to take.
    fix          text NOT NULL DEFAULT '',
    version      integer NOT NULL DEFAULT 1,
    archived     boolean NOT NULL DEFAULT false,
    uses         bigint NOT NULL DEFAULT 0,
    updated_by   bigint NOT NULL REFERENCES users (id),
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX knowledge_notes_subject ON knowledge_notes (shop_id, scope, subject) WHERE NOT archived;

CREATE SEQUENCE policy_articles_id_seq;
CREATE TABLE policy_articles (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    id           bigint NOT NULL DEFAULT nextval('policy_articles_id_seq'),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body         text NOT NULL DEFAULT '',
    -- Where the rule comes from: a law's article, a platform rule, the shop's own decision.
    source       text NOT NULL DEFAULT '',
    -- The desk's rule it explains (`seven_day`, `follow_up`, `platform_timers`, `bad_review`),
    -- so a verdict links to it; at most one article per rule and shop.
    rule         text CHECK (rule IN ('seven_day', 'follow_up', 'platform_timers', 'bad_review')),
    -- The ticket kinds and reasons it fits (empty: all).
    kinds        text[] NOT NULL DEFAULT '{}',
    reasons      text[] NOT NULL DEFAULT '{}',
    version      integer NOT NULL DEFAULT 1,
    archived     boolean NOT NULL DEFAULT false,
    uses         bigint NOT NULL DEFAULT 0,
    updated_by   bigint NOT NULL REFERENCES users (id),
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE UNIQUE INDEX policy_articles_one_per_rule ON policy_articles (shop_id, rule) WHERE rule IS NOT NULL AND NOT archived;

-- Every version of a note or an article as it was before an edit replaced it.
CREATE TABLE knowledge_history (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    subject      text NOT NULL CHECK (subject IN ('note', 'article')),
    subject_id   bigint NOT NULL,
    version      integer NOT NULL,
    title        text NOT NULL,
    body         text NOT NULL,
    -- The note's fix and kind, or the article's source.
    extra        jsonb NOT NULL DEFAULT '{}',
    changed_by   bigint NOT NULL REFERENCES users (id),
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (shop_id, subject, subject_id, version)
);

-- "This solved it": once per note and ticket.
CREATE TABLE knowledge_solved (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    note_id      bigint NOT NULL,
    ticket_id    bigint NOT NULL,
    marked_by    bigint NOT NULL REFERENCES users (id),
    marked_at    timestamptz NOT NULL,
    PRIMARY KEY (shop_id, note_id, ticket_id),
    FOREIGN KEY (shop_id, note_id) REFERENCES knowledge_notes (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id)
);
