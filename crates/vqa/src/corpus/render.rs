//! Turning a [`ClipPlan`] into an FFmpeg command line (the `ffmpeg` CLI is
//! the fixture generator; analysis itself never shells out).

use std::path::Path;

use super::plan::{ClipPlan, HardNegative, Injection, Source};

/// Where the real sample clips are (`bigbuckbunny.mp4`, `bikes.mp4`,
/// `carphone_pristine.mp4`).
pub struct Samples<'a>(pub &'a Path);

/// The `ffmpeg` arguments that render `plan` to `out` (without damage,
/// which is applied to the finished MPEG-TS file afterwards).
pub fn ffmpeg_args(plan: &ClipPlan, samples: &Samples<'_>, out: &Path) -> Vec<String> {
    let (w, h, fps) = plan.source.format();
    let d = plan.duration_s;
    let mut args: Vec<String> =
        ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"].iter().map(|s| s.to_string()).collect();
    let mut inputs: Vec<Vec<String>> = Vec::new();
    let mut input = |spec: Vec<String>| {
        inputs.push(spec);
        inputs.len() - 1
    };
    let lavfi = |graph: String| vec!["-f".to_string(), "lavfi".to_string(), "-i".to_string(), graph];
    let looped =
        |file: &str| vec!["-stream_loop".into(), "-1".into(), "-i".into(), samples.0.join(file).display().to_string()];
    // Input 0: pictures (and sound for Big Buck Bunny); input 1: sound.
    let programme_noise = format!("anoisesrc=color=pink:amplitude=0.25:sample_rate=48000:seed={}", seed_of(&plan.name));
    let audio_label = match &plan.source {
        Source::BigBuckBunny => {
            input(looped("bigbuckbunny.mp4"));
            "0:a"
        }
        Source::Bikes | Source::Carphone => {
            input(looped(if plan.source == Source::Bikes { "bikes.mp4" } else { "carphone_pristine.mp4" }));
            input(lavfi(programme_noise));
            "1:a"
        }
        Source::Testsrc2 => {
            input(lavfi(format!("testsrc2=size={w}x{h}:rate={fps}")));
            input(lavfi(programme_noise));
            "1:a"
        }
        Source::SyncPattern(events) => {
            input(lavfi(format!("testsrc2=size={w}x{h}:rate={fps}")));
            let beeps = any_between(events, 0.1);
            input(lavfi(format!(
                "aevalsrc=exprs='0.5*sin(2*PI*1000*t)*gt({beeps}\\,0)+0.2*sin(2*PI*97*t)':sample_rate=48000"
            )));
            "1:a"
        }
    };
    // Further inputs: still pictures for hard negatives.
    let mut stills = Vec::new();
    for (i, hn) in plan.hard_negatives.iter().enumerate() {
        let graph = match hn {
            HardNegative::StillBars { .. } | HardNegative::NoisyStill { .. } => format!("smptehdbars=size={w}x{h}:rate={fps}"),
            HardNegative::StillSlide { .. } => format!(
                "color=c=0x1f4e79:size={w}x{h}:rate={fps},drawbox=x=iw/10:y=ih/8:w=iw*8/10:h=ih/6:color=white:t=fill,\
                 drawbox=x=iw/10:y=ih/2:w=iw/2:h=ih/12:color=0xd0d0d0:t=fill"
            ),
            HardNegative::FadeThroughBlack { at_s } => format!(
                "color=c=black:size={w}x{h}:rate={fps},format=yuva420p,fade=t=in:st={}:d=0.3:alpha=1,fade=t=out:st={}:d=0.3:alpha=1",
                at_s,
                at_s + 0.35
            ),
            _ => continue,
        };
        stills.push((i, input(lavfi(graph))));
    }
    args.extend(inputs.into_iter().flatten());

    let mut video = vec![format!("[0:v]fps={fps},scale={w}:{h},setsar=1,format=yuv420p")];
    if let Source::SyncPattern(events) = &plan.source {
        video.push(format!(
            "drawbox=x=iw/4:y=ih/4:w=iw/2:h=ih/2:color=white:t=fill:enable='gt({}\\,0)'",
            any_between(events, 1.5 / fps)
        ));
    }
    for hn in &plan.hard_negatives {
        if let HardNegative::DarkScene { start_s, end_s } = hn {
            video.push(format!("eq=brightness=-0.25:contrast=0.5:enable='between(t,{start_s},{end_s})'"));
        }
    }
    let mut graph = vec![video.join(",") + "[v0]"];
    let mut last = "v0".to_string();
    for (n, (i, input_index)) in stills.iter().enumerate() {
        let next = format!("v{}", n + 1);
        let (filter, range) = match &plan.hard_negatives[*i] {
            HardNegative::StillBars { start_s, end_s } | HardNegative::StillSlide { start_s, end_s } => {
                (String::new(), Some((*start_s, *end_s)))
            }
            HardNegative::NoisyStill { start_s, end_s } => {
                ("noise=alls=12:allf=t,".to_string(), Some((*start_s, *end_s)))
            }
            _ => (String::new(), None),
        };
        let enable = range.map_or(String::new(), |(a, b)| format!(":enable='between(t,{a},{b})'"));
        graph.push(format!(
            "[{input_index}:v]{filter}format=yuva420p[s{n}];[{last}][s{n}]overlay=format=auto{enable}[{next}]"
        ));
        last = next;
    }
    // freezeframes takes the replacement frames from a second input: a copy.
    for (n, inj) in plan.injections.iter().enumerate() {
        if let Injection::Freeze { start_s, end_s } = *inj {
            let first = (start_s * fps).round() as i64;
            let last_frame = (end_s * fps).round() as i64 - 1;
            graph.push(format!(
                "[{last}]split[f{n}a][f{n}b];[f{n}a][f{n}b]freezeframes=first={first}:last={last_frame}:replace={}[f{n}]",
                first - 1
            ));
            last = format!("f{n}");
        }
    }
    let mut tail = Vec::new();
    for inj in &plan.injections {
        if let Injection::Black { start_s, end_s } = *inj {
            tail.push(format!("drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,{start_s},{end_s})'"));
        }
    }
    tail.push("format=yuv420p".into());
    graph.push(format!("[{last}]{}[vout]", tail.join(",")));

    let mut audio = vec![format!("[{audio_label}]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo")];
    if !matches!(plan.source, Source::SyncPattern(_)) {
        // Broadcast programme audio is levelled; the film's mix sits at about
        // -34 LUFS with rare peaks. Level every source the way a playout chain
        // would, peaks around -6 dBFS, so that an injected gain means the same
        // overdrive on every clip. (The sync pattern is levelled by design.)
        audio.push("dynaudnorm=f=250:g=15:p=0.5".into());
    }
    let mut audio_graph = Vec::new();
    for inj in &plan.injections {
        if let Injection::Desync { start_s, end_s, offset_ms, whole } = *inj {
            let shift = offset_ms / 1000.0;
            if whole && shift > 0.0 {
                audio.push(format!("adelay=delays={offset_ms}:all=1"));
            } else if whole {
                audio.push(format!("atrim=start={},asetpts=PTS-STARTPTS", -shift));
            } else {
                // Replace [start, end) by the audio from [start - shift, end - shift).
                audio_graph.push(format!(
                    "{}[a_in];[a_in]asplit=3[a0][a1][a2];\
                     [a0]atrim=end={start_s},asetpts=PTS-STARTPTS[p0];\
                     [a1]atrim=start={}:end={},asetpts=PTS-STARTPTS[p1];\
                     [a2]atrim=start={end_s},asetpts=PTS-STARTPTS[p2];\
                     [p0][p1][p2]concat=n=3:v=0:a=1",
                    audio.join(","),
                    start_s - shift,
                    end_s - shift
                ));
                audio = Vec::new();
            }
        }
    }
    // Timeline `enable` expressions switch per audio frame: cut frames to
    // 10 ms (dynaudnorm emits 250 ms ones) so injected edges land within 10 ms.
    let mut post = vec!["asetnsamples=n=480:p=0".to_string()];
    for inj in &plan.injections {
        match *inj {
            Injection::Silence { start_s, end_s } => {
                post.push(format!("volume=0:enable='between(t,{start_s},{end_s})'"))
            }
            Injection::Clipping { start_s, end_s, gain_db } => {
                post.push(format!("volume={gain_db}dB:enable='between(t,{start_s},{end_s})'"))
            }
            _ => {}
        }
    }
    for hn in &plan.hard_negatives {
        match hn {
            HardNegative::QuietPassage { start_s, end_s } => {
                post.push(format!("volume=-18dB:enable='between(t,{start_s},{end_s})'"))
            }
            HardNegative::LoudUnclipped => {
                post.push("volume=6dB,alimiter=limit=0.89:level=0:attack=1:release=50".into())
            }
            _ => {}
        }
    }
    // Integer PCM hard-limits at full scale: that is the clipping.
    post.push("aformat=sample_fmts=s16,aformat=sample_fmts=fltp".into());
    if audio_graph.is_empty() {
        audio.extend(post);
        graph.push(audio.join(",") + "[aout]");
    } else {
        graph.push(format!("{},{}[aout]", audio_graph.join(";"), post.join(",")));
    }

    args.extend(["-filter_complex".to_string(), graph.join(";")]);
    let container = if plan.is_ts() { "mpegts" } else { "mp4" };
    args.extend(
        [
            "-map",
            "[vout]",
            "-map",
            "[aout]",
            "-t",
            &format!("{d}"),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-f",
            container,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    if !plan.is_ts() {
        args.extend(["-movflags".to_string(), "+faststart".to_string()]);
    }
    args.push(out.display().to_string());
    args
}

/// `between(t,a,a+len)+between(t,b,b+len)+…` for FFmpeg expressions (commas
/// escaped for use inside a filter graph).
fn any_between(times: &[f64], len: f64) -> String {
    if times.is_empty() {
        return "0".into();
    }
    times.iter().map(|t| format!("between(t\\,{t:.3}\\,{:.3})", t + len)).collect::<Vec<_>>().join("+")
}

fn seed_of(name: &str) -> u32 {
    name.bytes().fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::labels::Role;

    #[test]
    fn freeze_and_black_become_filters() {
        let plan = ClipPlan {
            name: "x.mp4".into(),
            source: Source::Testsrc2,
            duration_s: 10.0,
            role: Role::Defects,
            injections: vec![
                Injection::Freeze { start_s: 2.0, end_s: 4.0 },
                Injection::Black { start_s: 6.0, end_s: 7.0 },
            ],
            hard_negatives: vec![],
        };
        let args = ffmpeg_args(&plan, &Samples(Path::new("/s")), Path::new("/o/x.mp4"));
        let graph = &args[args.iter().position(|a| a == "-filter_complex").unwrap() + 1];
        assert!(graph.contains("freezeframes=first=50:last=99:replace=49"), "{graph}");
        assert!(graph.contains("color=black:t=fill:enable='between(t,6,7)'"), "{graph}");
        assert_eq!(args.last().unwrap(), "/o/x.mp4");
        assert!(args.windows(2).any(|w| w[0] == "-f" && w[1] == "mp4"));
    }
}
