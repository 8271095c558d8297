-- Why a checkout failed, as far as the provider said (issue 24): the donor who comes back is told
-- ("not enough money on the card", "the card has expired") instead of nothing. A word of ours,
-- mapped from each provider's codes; empty when the provider gave none.
ALTER TABLE pledges ADD COLUMN decline_reason TEXT CHECK (decline_reason IN
    ('insufficient_funds', 'limit_exceeded', 'card_expired', 'wrong_details', 'authentication',
     'bank_unavailable', 'declined'));
