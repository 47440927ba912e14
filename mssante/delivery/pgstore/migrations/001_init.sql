-- pgstore schema version 1: the tracker's messages with their indexes, the
-- outbox with its leases, the encoded messages in blocks. SCHEMA stands for
-- the quoted schema name (Options.Schema). Keys compare byte-wise
-- (COLLATE "C"), as every delivery.Store orders them.
CREATE TABLE SCHEMA.messages (
	message_id        text COLLATE "C" PRIMARY KEY,
	envelope_id       text COLLATE "C" NOT NULL,
	created           timestamptz NOT NULL,
	settled           boolean NOT NULL,
	awaiting_delivery timestamptz,
	awaiting_read     timestamptz,
	version           bigint NOT NULL DEFAULT 0, -- for optimistic updates
	doc               jsonb NOT NULL
);
CREATE INDEX messages_envelope_id ON SCHEMA.messages (envelope_id, message_id);
CREATE INDEX messages_created ON SCHEMA.messages (created, message_id);
CREATE INDEX messages_unsettled ON SCHEMA.messages (created, message_id) WHERE NOT settled;
CREATE INDEX messages_settled ON SCHEMA.messages (created, message_id) WHERE settled;
CREATE INDEX messages_awaiting_delivery ON SCHEMA.messages (awaiting_delivery, message_id) WHERE awaiting_delivery IS NOT NULL;
CREATE INDEX messages_awaiting_read ON SCHEMA.messages (awaiting_read, message_id) WHERE awaiting_read IS NOT NULL;

CREATE TABLE SCHEMA.message_recipients (
	recipient  text COLLATE "C" NOT NULL,
	created    timestamptz NOT NULL,
	message_id text COLLATE "C" NOT NULL REFERENCES SCHEMA.messages ON DELETE CASCADE,
	PRIMARY KEY (recipient, created, message_id)
);
CREATE INDEX message_recipients_message_id ON SCHEMA.message_recipients (message_id);

CREATE TABLE SCHEMA.message_states (
	state      text COLLATE "C" NOT NULL,
	created    timestamptz NOT NULL,
	message_id text COLLATE "C" NOT NULL REFERENCES SCHEMA.messages ON DELETE CASCADE,
	PRIMARY KEY (state, created, message_id)
);
CREATE INDEX message_states_message_id ON SCHEMA.message_states (message_id);

CREATE TABLE SCHEMA.outbox (
	message_id   text COLLATE "C" PRIMARY KEY,
	created      timestamptz NOT NULL,
	next_attempt timestamptz NOT NULL,
	due          timestamptz NOT NULL,
	lease_owner  text NOT NULL DEFAULT '',
	lease_until  timestamptz,
	size         bigint NOT NULL,
	doc          jsonb NOT NULL
) WITH (fillfactor = 50); -- room for the updates of an attempt to stay on the page (HOT)
CREATE INDEX outbox_due ON SCHEMA.outbox (due, created, message_id);
CREATE INDEX outbox_created ON SCHEMA.outbox (created, message_id);

CREATE TABLE SCHEMA.outbox_blocks (
	message_id text COLLATE "C" NOT NULL,
	seq        integer NOT NULL,
	data       bytea NOT NULL,
	PRIMARY KEY (message_id, seq)
);
