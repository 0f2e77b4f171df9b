"""Slack's emoji shortcodes → Unicode, for the sandbox page: every shortcode Ledgerlink's messages use plus Slack's
common standard ones (names as Slack spells them, aliases included). Unknown shortcodes stay as typed, as Slack
shows them."""

from __future__ import annotations

import re

EMOJI = {
    # status and workflow
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "ballot_box_with_check": "☑️", "x": "❌",
    "negative_squared_cross_mark": "❎", "warning": "⚠️", "no_entry": "⛔", "no_entry_sign": "🚫",
    "hourglass": "⌛", "hourglass_flowing_sand": "⏳", "stopwatch": "⏱️", "alarm_clock": "⏰", "clock1": "🕐",
    "rotating_light": "🚨", "bell": "🔔", "no_bell": "🔕", "question": "❓", "grey_question": "❔",
    "exclamation": "❗", "heavy_exclamation_mark": "❗", "bangbang": "‼️", "information_source": "ℹ️",
    "sos": "🆘", "new": "🆕", "ok": "🆗", "cool": "🆒", "free": "🆓", "up": "🆙", "100": "💯",
    # circles and shapes
    "red_circle": "🔴", "large_orange_circle": "🟠", "large_yellow_circle": "🟡", "large_green_circle": "🟢",
    "large_blue_circle": "🔵", "large_purple_circle": "🟣", "large_brown_circle": "🟤", "white_circle": "⚪",
    "black_circle": "⚫", "red_square": "🟥", "large_green_square": "🟩", "large_blue_square": "🟦",
    "white_large_square": "⬜", "black_large_square": "⬛", "small_blue_diamond": "🔹",
    "small_orange_diamond": "🔸", "large_blue_diamond": "🔷", "large_orange_diamond": "🔶",
    "radio_button": "🔘", "star": "⭐", "star2": "🌟", "sparkles": "✨", "zap": "⚡", "fire": "🔥", "boom": "💥",
    # arrows
    "arrow_right": "➡️", "arrow_left": "⬅️", "arrow_up": "⬆️", "arrow_down": "⬇️", "arrow_forward": "▶️",
    "arrow_backward": "◀️", "arrow_upper_right": "↗️", "arrow_lower_right": "↘️", "arrow_heading_up": "⤴️",
    "arrow_heading_down": "⤵️", "leftwards_arrow_with_hook": "↩️", "arrow_right_hook": "↪️",
    "arrows_counterclockwise": "🔄", "arrows_clockwise": "🔃", "repeat": "🔁", "twisted_rightwards_arrows": "🔀",
    "back": "🔙", "soon": "🔜", "top": "🔝", "fast_forward": "⏩", "rewind": "⏪",
    # office, money, documents
    "moneybag": "💰", "money_with_wings": "💸", "dollar": "💵", "euro": "💶", "pound": "💷", "yen": "💴",
    "heavy_dollar_sign": "💲", "credit_card": "💳", "receipt": "🧾", "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉", "bar_chart": "📊", "memo": "📝", "pencil": "📝", "pencil2": "✏️",
    "clipboard": "📋", "page_facing_up": "📄", "page_with_curl": "📃", "bookmark_tabs": "📑", "ledger": "📒",
    "notebook": "📓", "books": "📚", "file_folder": "📁", "open_file_folder": "📂", "file_cabinet": "🗄️",
    "card_index": "📇", "card_index_dividers": "🗂️", "calendar": "📆", "date": "📅", "spiral_calendar_pad": "🗓️",
    "paperclip": "📎", "link": "🔗",
    "broken_chain": "⛓️‍💥", "wastebasket": "🗑️", "palm_tree": "🌴",
    "pushpin": "📌", "round_pushpin": "📍", "scissors": "✂️",
    "electric_plug": "🔌",
    "inbox_tray": "📥", "outbox_tray": "📤", "package": "📦", "e-mail": "📧", "email": "✉️", "envelope": "✉️",
    "incoming_envelope": "📨", "mailbox": "📫", "label": "🏷️", "bookmark": "🔖", "key": "🔑", "lock": "🔒",
    "unlock": "🔓", "closed_lock_with_key": "🔐", "mag": "🔍", "mag_right": "🔎", "bulb": "💡", "gear": "⚙️",
    "hammer": "🔨", "wrench": "🔧", "hammer_and_wrench": "🛠️", "nut_and_bolt": "🔩", "toolbox": "🧰",
    "computer": "💻", "desktop_computer": "🖥️", "phone": "☎️", "telephone_receiver": "📞", "iphone": "📱",
    "memory": "🧠", "floppy_disk": "💾", "cd": "💿", "printer": "🖨️", "loudspeaker": "📢", "mega": "📣",
    "speech_balloon": "💬", "thought_balloon": "💭", "handshake": "🤝", "briefcase": "💼",
    # buildings and work
    "office": "🏢", "house": "🏠", "house_with_garden": "🏡", "building_construction": "🏗️",
    "construction": "🚧", "construction_worker": "👷", "bank": "🏦", "factory": "🏭", "truck": "🚚",
    "articulated_lorry": "🚛", "hospital": "🏥", "school": "🏫", "hotel": "🏨", "department_store": "🏬",
    "bricks": "🧱", "crane": "🏗️", "triangular_ruler": "📐", "straight_ruler": "📏",
    # people and hands
    "robot_face": "🤖", "bust_in_silhouette": "👤", "busts_in_silhouette": "👥", "wave": "👋", "+1": "👍",
    "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "ok_hand": "👌", "clap": "👏", "raised_hands": "🙌",
    "pray": "🙏", "muscle": "💪", "point_right": "👉", "point_left": "👈", "point_up": "☝️", "point_down": "👇",
    "raised_hand": "✋", "hand": "✋", "v": "✌️", "eyes": "👀", "see_no_evil": "🙈", "tada": "🎉",
    "confetti_ball": "🎊", "trophy": "🏆", "medal": "🏅", "gift": "🎁", "rocket": "🚀", "dart": "🎯",
    "checkered_flag": "🏁", "triangular_flag_on_post": "🚩", "white_flag": "🏳️",
    # faces
    "smile": "😄", "smiley": "😃", "grinning": "😀", "slightly_smiling_face": "🙂", "wink": "😉",
    "blush": "😊", "joy": "😂", "sweat_smile": "😅", "thinking_face": "🤔", "neutral_face": "😐",
    "confused": "😕", "disappointed": "😞", "cry": "😢", "sob": "😭", "scream": "😱", "rage": "😡",
    "sunglasses": "😎", "heart_eyes": "😍", "upside_down_face": "🙃", "face_with_rolling_eyes": "🙄",
    "heart": "❤️", "broken_heart": "💔", "green_heart": "💚", "blue_heart": "💙", "yellow_heart": "💛",
    # numbers
    "zero": "0️⃣", "one": "1️⃣", "two": "2️⃣", "three": "3️⃣", "four": "4️⃣", "five": "5️⃣", "six": "6️⃣",
    "seven": "7️⃣", "eight": "8️⃣", "nine": "9️⃣", "keycap_ten": "🔟", "hash": "#️⃣",
    "heavy_plus_sign": "➕", "heavy_minus_sign": "➖", "heavy_multiplication_x": "✖️", "heavy_division_sign": "➗",
    # weather and nature
    "sunny": "☀️", "cloud": "☁️", "umbrella": "☔", "snowflake": "❄️", "rainbow": "🌈", "seedling": "🌱",
    "evergreen_tree": "🌲", "deciduous_tree": "🌳", "coffee": "☕", "pizza": "🍕", "beer": "🍺",
}
_SHORTCODE = re.compile(r":([a-z0-9_+\-]+):")


def emojify(text: str) -> str:
    """Replace every known `:shortcode:`; leave the rest (times like 10:30:00 are not shortcodes)."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
