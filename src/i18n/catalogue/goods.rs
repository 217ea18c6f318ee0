//! Strings of the goods steps of returns and exchanges: return addresses, the buyer's shipment
//! back (carrier, tracking number), the inspection checklist and its photos.

/// `(key, 简体中文, English)`.
pub const ENTRIES: &[(&str, &str, &str)] = &[
    // The return addresses page.
    ("goods.address.nav", "退货地址", "Return addresses"),
    ("goods.address.title", "退货地址", "Return addresses"),
    (
        "goods.address.hint",
        "买家退货、换货时寄回的地址。同意退货或换货时记录所选地址（默认地址预先选中），工单保留当时的地址文字。",
        "Where buyers send returned and exchanged goods. Approving a return or exchange records the address chosen (the default is preselected); the ticket keeps the address as it was then.",
    ),
    ("goods.address.label", "名称", "Label"),
    ("goods.address.recipient", "收件人", "Recipient"),
    ("goods.address.phone", "电话", "Phone"),
    ("goods.address.address", "地址", "Address"),
    ("goods.address.default", "默认", "Default"),
    ("goods.address.make_default", "设为默认", "Make default"),
    ("goods.address.save", "保存", "Save"),
    ("goods.address.add", "添加地址", "Add address"),
    ("goods.address.archive", "停用", "Archive"),
    (
        "goods.address.confirm_archive",
        "停用这个地址？已记录它的工单不受影响。",
        "Archive this address? Tickets that recorded it keep it.",
    ),
    (
        "goods.address.none",
        "还没有退货地址。添加一个后，同意退货或换货时会记录它。",
        "No return address yet. Once one is added, approving a return or exchange records it.",
    ),
    ("goods.address.saved", "地址已保存。", "Address saved."),
    (
        "goods.address.default_set",
        "默认地址已更改。",
        "Default address changed.",
    ),
    ("goods.address.archived", "地址已停用。", "Address archived."),
    (
        "goods.address.invalid_length",
        "请填写，最多 {max} 个字。",
        "Fill this in, at most {max} characters.",
    ),
    (
        "goods.address.invalid_phone",
        "请填写电话号码：5–30 位，只含数字、空格、+ 和 -。",
        "Enter a phone number: 5–30 characters, digits with spaces, + and - only.",
    ),
    // The ticket: what was recorded.
    ("goods.return_address", "退货地址", "Return address"),
    ("goods.shipment", "退货物流", "Return shipment"),
    ("goods.tracking_no", "运单号", "Tracking number"),
    ("goods.carrier", "快递公司", "Carrier"),
    ("goods.copy", "复制", "Copy"),
    ("goods.copied", "已复制", "Copied"),
    // The move forms.
    ("goods.choose_address", "寄回地址", "Send back to"),
    (
        "goods.no_address",
        "本店还没有退货地址：同意后不会记录地址。主管可在“退货地址”中添加。",
        "The shop has no return address yet: approving records none. A supervisor adds one under Return addresses.",
    ),
    ("goods.checklist", "验货清单", "Inspection checklist"),
    (
        "goods.checklist_hint",
        "逐项确认；验货不通过需至少一项“不合格”并附照片。",
        "Check each item; a failed inspection needs at least one item not ok and a photo.",
    ),
    ("goods.photo", "验货照片", "Inspection photo"),
    (
        "goods.photo_hint",
        "JPEG、PNG 或 WebP，最大 5 MB；随本次提交一起上传。",
        "JPEG, PNG or WebP, up to 5 MB; uploaded with this form.",
    ),
    ("goods.check.tags", "吊牌", "Tags"),
    ("goods.check.accessories", "配件", "Accessories"),
    ("goods.check.seal", "封签/包装", "Seal and packaging"),
    ("goods.check.signs_of_use", "使用痕迹", "Signs of use"),
    ("goods.check.quantity", "数量", "Quantity"),
    ("goods.mark.ok", "合格", "OK"),
    ("goods.mark.not_ok", "不合格", "Not OK"),
    // The timeline.
    (
        "goods.timeline.address",
        "寄回地址：{address}",
        "Send back to: {address}",
    ),
    (
        "goods.timeline.shipment",
        "{carrier} 运单号 {tracking_no}",
        "{carrier} tracking number {tracking_no}",
    ),
    ("goods.timeline.checklist", "验货：{items}", "Inspection: {items}"),
    (
        "goods.timeline.photos",
        "验货照片：{names}",
        "Inspection photos: {names}",
    ),
    ("goods.timeline.item", "{item}：{mark}", "{item}: {mark}"),
    ("goods.timeline.separator", "，", ", "),
    ("goods.pack.inspections", "验货记录", "Inspections"),
    ("goods.pack.photos", "照片", "Photos"),
    // Refusals.
    (
        "goods.invalid.address_unknown",
        "所选退货地址不存在或已停用，请重新选择。",
        "That return address does not exist or was archived; choose again.",
    ),
    (
        "goods.invalid.carrier_missing",
        "请选择快递公司。",
        "Choose the carrier.",
    ),
    (
        "goods.invalid.tracking_missing",
        "请填写运单号。",
        "Enter the tracking number.",
    ),
    (
        "goods.invalid.checklist_missing",
        "验货不通过需要填写验货清单的每一项。",
        "A failed inspection needs every item of the checklist marked.",
    ),
    (
        "goods.invalid.checklist_incomplete",
        "请逐项填写验货清单：每项选“合格”或“不合格”。",
        "Mark every item of the checklist: OK or Not OK.",
    ),
    (
        "goods.invalid.nothing_not_ok",
        "验货不通过需至少一项标为“不合格”。",
        "A failed inspection needs at least one item marked not OK.",
    ),
    (
        "goods.invalid.photo_missing",
        "验货不通过需至少附一张照片。",
        "A failed inspection needs at least one photo.",
    ),
    (
        "goods.invalid.photo_unknown",
        "照片 {photo} 不是本工单的图片凭证。",
        "Photo {photo} is not an image attached to this ticket.",
    ),
    (
        "goods.invalid.photo_not_image",
        "验货照片须为 JPEG、PNG 或 WebP 图片。",
        "An inspection photo must be a JPEG, PNG or WebP image.",
    ),
    // Tracking number shapes, said when a number does not fit.
    ("goods.carrier.sf", "顺丰", "SF Express"),
    ("goods.carrier.zto", "中通", "ZTO"),
    ("goods.carrier.yto", "圆通", "YTO"),
    ("goods.carrier.yunda", "韵达", "Yunda"),
    ("goods.carrier.sto", "申通", "STO"),
    ("goods.carrier.jt", "极兔", "J&T"),
    ("goods.carrier.ems", "邮政EMS", "China Post EMS"),
    ("goods.carrier.jd", "京东", "JD Logistics"),
    ("goods.carrier.deppon", "德邦", "Deppon"),
    ("goods.carrier.other", "其他", "Other"),
    (
        "goods.shape.sf",
        "顺丰运单号为 SF 加 13 位（第 1 位字母或数字，其余数字），如 SF1234567890123。",
        "An SF Express number is SF and 13 characters (a letter or digit, then 12 digits), e.g. SF1234567890123.",
    ),
    (
        "goods.shape.zto",
        "中通运单号为 14 位数字。",
        "A ZTO number has 14 digits.",
    ),
    (
        "goods.shape.yto",
        "圆通运单号为 YT 加 13 位数字，如 YT1234567890123。",
        "A YTO number is YT and 13 digits, e.g. YT1234567890123.",
    ),
    (
        "goods.shape.yunda",
        "韵达运单号为 13 或 15 位数字。",
        "A Yunda number has 13 or 15 digits.",
    ),
    (
        "goods.shape.sto",
        "申通运单号为 14–17 位数字。",
        "An STO number has 14 to 17 digits.",
    ),
    (
        "goods.shape.jt",
        "极兔运单号为 JT 加 13 位数字，如 JT1234567890123。",
        "A J&T number is JT and 13 digits, e.g. JT1234567890123.",
    ),
    (
        "goods.shape.ems",
        "邮政运单号为 13 位数字、P 加 1 位字母和 11 位数字，或国际邮件号（如 EA123456785CN）。",
        "A China Post number has 13 digits, or is P, a letter and 11 digits, or an international item number (e.g. EA123456785CN).",
    ),
    (
        "goods.shape.jd",
        "京东运单号为 JD 加 2 位字母或数字和 11 位数字，如 JDVA12345678901。",
        "A JD number is JD, two letters or digits and 11 digits, e.g. JDVA12345678901.",
    ),
    (
        "goods.shape.deppon",
        "德邦运单号为 DPK 加 12 位数字。",
        "A Deppon number is DPK and 12 digits.",
    ),
    (
        "goods.shape.other",
        "运单号为 8–30 位字母或数字。",
        "A tracking number has 8 to 30 letters and digits.",
    ),
    ("goods.flash.inspected", "验货已记录。", "Inspection recorded."),
];
