-- Canned replies say where they fit (issue 13): the ticket kinds and statuses a reply is
-- offered on (empty: any), and variables named for whose deadline or amount they are.

ALTER TABLE canned_replies
    ADD COLUMN kinds    text[] NOT NULL DEFAULT '{}'
        CHECK (kinds <@ ARRAY['refund', 'return', 'exchange', 'complaint', 'logistics', 'bad_review']::text[]),
    ADD COLUMN statuses text[] NOT NULL DEFAULT '{}'
        CHECK (statuses <@ ARRAY['requested', 'approved', 'rejected', 'buyer_shipped', 'received',
                                 'inspection_failed', 'refunded', 'replacement_shipped', 'open',
                                 'investigating', 'resolution_proposed', 'carrier_contacted', 'resolved',
                                 'closed', 'escalated', 'platform_intervention', 'buyer_contacted',
                                 'explanation_posted', 'review_revised', 'appealed']::text[]);

-- `{refund}` was the amount asked for; what a reply tells the buyer is the amount approved.
UPDATE canned_replies SET body = replace(body, '{refund}', '{refund_amount}') WHERE body LIKE '%{refund}%';

-- The default library as first seeded: each reply gets where it fits, and the reminder to
-- ship the return back no longer says "agreed" before it is, nor gives the seller's answer
-- deadline as the buyer's. Replies a shop wrote or edited are left as they are; a `{deadline}`
-- left in one is shown to the agent as a variable to fill in by hand.
UPDATE canned_replies SET kinds = '{refund,return,exchange}', statuses = '{requested}'
 WHERE title = '已收到申请' AND body = '{buyer} 您好，您的售后申请已收到，我们会在24小时内给您答复，请耐心等待。';
UPDATE canned_replies SET kinds = '{complaint,logistics}'
 WHERE title = '催发货安抚' AND body LIKE '亲，非常抱歉让您久等了！订单 {order_no} 已经催促仓库加急处理%';
UPDATE canned_replies
   SET kinds = '{return,exchange}', statuses = '{approved}',
       body = '亲，您的退货申请已同意，请在 {buyer_ship_deadline} 前寄回商品并在订单中填写退货单号，逾期未寄回申请会自动关闭哦。'
 WHERE title = '提醒买家寄回'
   AND body = '亲，您的退货申请已同意，请在 {deadline} 前寄回商品并填写退货单号，超时申请会自动关闭哦。';
UPDATE canned_replies SET kinds = '{logistics}'
 WHERE title IN ('已联系快递', '物流延误说明') AND situation = 'logistics_check';
UPDATE canned_replies SET kinds = '{return,exchange}', statuses = '{approved}'
 WHERE title = '退货地址' AND body LIKE '亲，请将商品连同配件、吊牌完整寄回：{return_address}%';
UPDATE canned_replies SET kinds = '{refund,return,exchange}', statuses = '{requested,approved}'
 WHERE title = '七天无理由说明' AND body LIKE '亲，本商品支持七天无理由退货，您的退货期截止到 {window_end}%';
UPDATE canned_replies SET kinds = '{refund,return}', statuses = '{refunded,closed}'
 WHERE title = '退款已完成' AND body LIKE '{buyer} 您好，订单 {order_no} 的退款 {refund_amount} 已原路退回%';
UPDATE canned_replies SET statuses = '{resolved,refunded,replacement_shipped,closed}'
 WHERE title = '回访满意度' AND situation = 'refund_done';
UPDATE canned_replies SET kinds = '{return,exchange,complaint}'
 WHERE title = '发错货致歉' AND situation = 'apology';
