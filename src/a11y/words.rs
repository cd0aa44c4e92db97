//! The fixed words of the layer's controls and the keyboard's keys, in both languages.

use serde::Serialize;

use crate::tour::Lang;

/// The fixed words of the layer's controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Words {
    pub hotspots: &'static str,
    pub scenes: &'static str,
    pub sites: &'static str,
    pub play: &'static str,
    pub pause: &'static str,
    pub close: &'static str,
    pub flower: &'static str,
    pub candle: &'static str,
    pub bow: &'static str,
    pub name: &'static str,
    pub message: &'static str,
    pub send: &'static str,
    pub narration: &'static str,
    pub back: &'static str,
    pub forward: &'static str,
    pub louder: &'static str,
    pub softer: &'static str,
    pub mute: &'static str,
    pub transcript: &'static str,
    pub skip: &'static str,
    pub settings: &'static str,
    pub reduced_motion: &'static str,
    pub ui_scale: &'static str,
    pub subtitle_scale: &'static str,
    pub high_contrast: &'static str,
    pub keys: &'static str,
    pub vr: &'static str,
    pub search: &'static str,
    pub live: &'static str,
    pub hand: &'static str,
    pub lower_hand: &'static str,
    pub follow: &'static str,
    pub gather: &'static str,
}

pub fn words(lang: Lang) -> Words {
    match lang {
        Lang::Zh => Words {
            hotspots: "本场景的热点",
            scenes: "本馆的场景",
            sites: "全部展馆",
            play: "播放解说",
            pause: "暂停解说",
            close: "关闭",
            flower: "献花",
            candle: "点烛",
            bow: "鞠躬",
            name: "您的名字",
            message: "留言",
            send: "发送留言",
            narration: "解说",
            back: "后退 10 秒",
            forward: "前进 10 秒",
            louder: "音量加大",
            softer: "音量减小",
            mute: "静音",
            transcript: "解说文稿",
            skip: "跳到解说",
            settings: "显示设置",
            reduced_motion: "减少动态效果",
            ui_scale: "界面大小",
            subtitle_scale: "字幕大小",
            high_contrast: "高对比度",
            keys: "键盘按键",
            vr: "VR 眼镜模式",
            search: "搜索展馆",
            live: "课堂",
            hand: "举手",
            lower_hand: "放下手",
            follow: "跟随老师",
            gather: "集合全班",
        },
        Lang::En => Words {
            hotspots: "Hotspots in this scene",
            scenes: "Scenes of this site",
            sites: "All sites",
            play: "Play the narration",
            pause: "Pause the narration",
            close: "Close",
            flower: "Lay a flower",
            candle: "Light a candle",
            bow: "Bow",
            name: "Your name",
            message: "Message",
            send: "Send the message",
            narration: "Narration",
            back: "Back 10 seconds",
            forward: "Forward 10 seconds",
            louder: "Louder",
            softer: "Softer",
            mute: "Mute",
            transcript: "Transcript",
            skip: "Skip to the narration",
            settings: "Display settings",
            reduced_motion: "Reduce motion",
            ui_scale: "Interface size",
            subtitle_scale: "Subtitle size",
            high_contrast: "High contrast",
            keys: "Keyboard keys",
            vr: "VR glasses mode",
            search: "Search the sites",
            live: "Live class",
            hand: "Raise your hand",
            lower_hand: "Lower your hand",
            follow: "Follow the teacher",
            gather: "Gather the class",
        },
    }
}

/// The keyboard's keys and what they do, for the help panel (`?`) in both viewers.
pub fn keys(lang: Lang, browser: bool) -> Vec<(&'static str, &'static str)> {
    let zh = lang == Lang::Zh;
    let k = |key: &'static str, z: &'static str, e: &'static str| (key, if zh { z } else { e });
    let mut v = vec![
        k("?", "显示或关闭本帮助", "Show or close this help"),
        if browser {
            k(
                "Tab",
                "进入文字版展厅（热点、解说、场景、展馆、纪念、设置）",
                "Enter the text version of the hall (hotspots, narration, scenes, sites, memorial, settings)",
            )
        } else {
            k("Tab / Shift+Tab", "下一个 / 上一个热点或按钮", "Next / previous hotspot or button")
        },
        k("Enter", "打开选中的热点或按下选中的按钮", "Open the chosen hotspot, press the chosen button"),
        k("Esc", "关闭面板", "Close the panel"),
        k("N", "跳到解说", "Skip to the narration"),
        k("Space", "播放 / 暂停解说", "Play / pause the narration"),
        k(", .", "解说后退 / 前进 10 秒", "Narration back / forward 10 seconds"),
        k("S", "字幕语言", "Subtitle language"),
        k("G", "继续导览", "Resume the guided tour"),
        k("Page Up / Page Down", "上一个 / 下一个场景", "Previous / next scene"),
        k("1 2 3", "纪念处：献花、点烛、鞠躬", "At a memorial: lay a flower, light a candle, bow"),
        k("← → ↑ ↓", "环顾四周", "Look around"),
        k("+ −", "放大 / 缩小", "Zoom in / out"),
        k("R", "自动旋转开关", "Autorotation on / off"),
        k("M", "城市地图", "The city map"),
        k("L", "切换语言", "Switch the language"),
        k("V", "VR 眼镜模式", "VR glasses mode"),
        k("H", "举手（课堂学生）", "Raise your hand (a class's student)"),
        k("[ ]", "界面缩小 / 放大", "Interface smaller / larger"),
        k("F7", "减少动态效果", "Reduce motion"),
        k("F8", "高对比度", "High contrast"),
        k("F9", "字幕大小", "Subtitle size"),
    ];
    if browser {
        v.retain(|(key, _)| *key != "Tab / Shift+Tab");
    }
    v
}
