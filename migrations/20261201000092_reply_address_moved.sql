-- The single return address of the canned replies moved to the shop's return addresses
-- (20261201000060 copied each shop's one in as its default); replies now fill {return_address}
-- from the address recorded on the ticket or that default. The old column is no longer read.
ALTER TABLE canned_reply_settings DROP COLUMN return_address;
