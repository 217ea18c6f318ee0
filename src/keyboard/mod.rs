//! Keyboard-first work: the shortcuts `static/keyboard.js` binds ([`SHORTCUTS`]), and their pages
//! ([`page`]): the help overlay and "next ticket in my queue".

pub mod page;

/// The shortcuts, as `(keys, catalogue key of what they do)`. `keyboard.js` binds the same keys.
pub const SHORTCUTS: [(&str, &str); 12] = [
    ("/", "keys.search"),
    ("j / k", "keys.walk_rows"),
    ("Enter", "keys.open_row"),
    ("n", "keys.next_ticket"),
    ("f", "keys.follow_up"),
    ("r", "keys.replies"),
    ("Ctrl + /", "keys.replies_in_text"),
    ("Ctrl + Enter", "keys.submit"),
    ("s", "keys.move_status"),
    ("a", "keys.assign_to_me"),
    ("g q", "keys.go_queue"),
    ("?", "keys.help"),
];
