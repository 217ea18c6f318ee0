-- The working-day calendar (SPEC rule 3, DOMAIN.md §3): China's statutory holidays and make-up
-- working days (调休), one schedule per year, as data an admin can edit (src/calendar/).
--
-- How to read it: a year is known only if it has a row in calendar_years. In a known year a date
-- listed in calendar_days with is_off_day = true is a statutory holiday, one listed with
-- is_off_day = false is a make-up working day; an unlisted date is a working day Monday to Friday
-- and a day off on Saturday and Sunday. A date belongs to the year of its own date. Deadlines that
-- reach into a year without a row are refused (calendar_unknown_year), never guessed.
--
-- Seed: 2024, 2025 and 2026 from the public dataset NateScarlet/holiday-cn
-- (https://github.com/NateScarlet/holiday-cn, MIT licence, copyright (c) 2019 NateScarlet), which
-- transcribes the State Council notices (国务院办公厅关于20XX年部分节假日安排的通知):
--   2024: https://www.gov.cn/zhengce/zhengceku/202310/content_6911528.htm
--   2025: https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm
--   2026: https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm
-- The same files are bundled in the binary (src/rules/holidays/) as the calendar used until the
-- database's is loaded.

CREATE TABLE calendar_years (
    year             integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    -- Where the dates come from (the notice, the dataset), shown to people beside the year.
    source           text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_days (
    day              date PRIMARY KEY,
    -- true: statutory holiday (放假); false: make-up working day (调休上班).
    is_off_day       boolean NOT NULL,
    -- The holiday it belongs to, e.g. 春节.
    name             text NOT NULL DEFAULT '' CHECK (char_length(name) <= 50)
);

-- 2024: 国务院办公厅关于2024年部分节假日安排的通知, https://www.gov.cn/zhengce/zhengceku/202310/content_6911528.htm
INSERT INTO calendar_years (year, source) VALUES
    (2024, 'NateScarlet/holiday-cn 2024.json (MIT); 国务院办公厅关于2024年部分节假日安排的通知 https://www.gov.cn/zhengce/zhengceku/202310/content_6911528.htm');
INSERT INTO calendar_days (day, is_off_day, name) VALUES
    ('2024-01-01', true, '元旦'),
    ('2024-02-04', false, '春节'),
    ('2024-02-10', true, '春节'),
    ('2024-02-11', true, '春节'),
    ('2024-02-12', true, '春节'),
    ('2024-02-13', true, '春节'),
    ('2024-02-14', true, '春节'),
    ('2024-02-15', true, '春节'),
    ('2024-02-16', true, '春节'),
    ('2024-02-17', true, '春节'),
    ('2024-02-18', false, '春节'),
    ('2024-04-04', true, '清明节'),
    ('2024-04-05', true, '清明节'),
    ('2024-04-06', true, '清明节'),
    ('2024-04-07', false, '清明节'),
    ('2024-04-28', false, '劳动节'),
    ('2024-05-01', true, '劳动节'),
    ('2024-05-02', true, '劳动节'),
    ('2024-05-03', true, '劳动节'),
    ('2024-05-04', true, '劳动节'),
    ('2024-05-05', true, '劳动节'),
    ('2024-05-11', false, '劳动节'),
    ('2024-06-10', true, '端午节'),
    ('2024-09-14', false, '中秋节'),
    ('2024-09-15', true, '中秋节'),
    ('2024-09-16', true, '中秋节'),
    ('2024-09-17', true, '中秋节'),
    ('2024-09-29', false, '国庆节'),
    ('2024-10-01', true, '国庆节'),
    ('2024-10-02', true, '国庆节'),
    ('2024-10-03', true, '国庆节'),
    ('2024-10-04', true, '国庆节'),
    ('2024-10-05', true, '国庆节'),
    ('2024-10-06', true, '国庆节'),
    ('2024-10-07', true, '国庆节'),
    ('2024-10-12', false, '国庆节');

-- 2025: 国务院办公厅关于2025年部分节假日安排的通知, https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm
INSERT INTO calendar_years (year, source) VALUES
    (2025, 'NateScarlet/holiday-cn 2025.json (MIT); 国务院办公厅关于2025年部分节假日安排的通知 https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm');
INSERT INTO calendar_days (day, is_off_day, name) VALUES
    ('2025-01-01', true, '元旦'),
    ('2025-01-26', false, '春节'),
    ('2025-01-28', true, '春节'),
    ('2025-01-29', true, '春节'),
    ('2025-01-30', true, '春节'),
    ('2025-01-31', true, '春节'),
    ('2025-02-01', true, '春节'),
    ('2025-02-02', true, '春节'),
    ('2025-02-03', true, '春节'),
    ('2025-02-04', true, '春节'),
    ('2025-02-08', false, '春节'),
    ('2025-04-04', true, '清明节'),
    ('2025-04-05', true, '清明节'),
    ('2025-04-06', true, '清明节'),
    ('2025-04-27', false, '劳动节'),
    ('2025-05-01', true, '劳动节'),
    ('2025-05-02', true, '劳动节'),
    ('2025-05-03', true, '劳动节'),
    ('2025-05-04', true, '劳动节'),
    ('2025-05-05', true, '劳动节'),
    ('2025-05-31', true, '端午节'),
    ('2025-06-01', true, '端午节'),
    ('2025-06-02', true, '端午节'),
    ('2025-09-28', false, '国庆节、中秋节'),
    ('2025-10-01', true, '国庆节、中秋节'),
    ('2025-10-02', true, '国庆节、中秋节'),
    ('2025-10-03', true, '国庆节、中秋节'),
    ('2025-10-04', true, '国庆节、中秋节'),
    ('2025-10-05', true, '国庆节、中秋节'),
    ('2025-10-06', true, '国庆节、中秋节'),
    ('2025-10-07', true, '国庆节、中秋节'),
    ('2025-10-08', true, '国庆节、中秋节'),
    ('2025-10-11', false, '国庆节、中秋节');

-- 2026: 国务院办公厅关于2026年部分节假日安排的通知, https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm
INSERT INTO calendar_years (year, source) VALUES
    (2026, 'NateScarlet/holiday-cn 2026.json (MIT); 国务院办公厅关于2026年部分节假日安排的通知 https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm');
INSERT INTO calendar_days (day, is_off_day, name) VALUES
    ('2026-01-01', true, '元旦'),
    ('2026-01-02', true, '元旦'),
    ('2026-01-03', true, '元旦'),
    ('2026-01-04', false, '元旦'),
    ('2026-02-14', false, '春节'),
    ('2026-02-15', true, '春节'),
    ('2026-02-16', true, '春节'),
    ('2026-02-17', true, '春节'),
    ('2026-02-18', true, '春节'),
    ('2026-02-19', true, '春节'),
    ('2026-02-20', true, '春节'),
    ('2026-02-21', true, '春节'),
    ('2026-02-22', true, '春节'),
    ('2026-02-23', true, '春节'),
    ('2026-02-28', false, '春节'),
    ('2026-04-04', true, '清明节'),
    ('2026-04-05', true, '清明节'),
    ('2026-04-06', true, '清明节'),
    ('2026-05-01', true, '劳动节'),
    ('2026-05-02', true, '劳动节'),
    ('2026-05-03', true, '劳动节'),
    ('2026-05-04', true, '劳动节'),
    ('2026-05-05', true, '劳动节'),
    ('2026-05-09', false, '劳动节'),
    ('2026-06-19', true, '端午节'),
    ('2026-06-20', true, '端午节'),
    ('2026-06-21', true, '端午节'),
    ('2026-09-20', false, '国庆节'),
    ('2026-09-25', true, '中秋节'),
    ('2026-09-26', true, '中秋节'),
    ('2026-09-27', true, '中秋节'),
    ('2026-10-01', true, '国庆节'),
    ('2026-10-02', true, '国庆节'),
    ('2026-10-03', true, '国庆节'),
    ('2026-10-04', true, '国庆节'),
    ('2026-10-05', true, '国庆节'),
    ('2026-10-06', true, '国庆节'),
    ('2026-10-07', true, '国庆节'),
    ('2026-10-10', false, '国庆节');
