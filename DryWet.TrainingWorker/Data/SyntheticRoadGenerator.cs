using SkiaSharp;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Draws synthetic road-surface photos so anyone can run the loop without data (behind <c>sample-data</c>, also used by
/// tests and the AppHost). Dry: matte asphalt with grain, aggregate speckles, cracks and lane markings. Wet: smoother,
/// glossy asphalt with specular streaks, sky/light reflections and soft-edged puddles. Exposure, tint, camera tilt,
/// horizon and road shade vary in both classes so that neither brightness nor any single pixel gives the class away:
/// the difference is texture and reflections, which a model has to learn. Needs only SkiaSharp (no TorchSharp).
/// </summary>
public static class SyntheticRoadGenerator
{
    public static readonly IReadOnlyList<string> Classes = ["dry", "wet"];

    /// <summary>Draws one RGB image of <paramref name="size"/>×<paramref name="size"/> px. Same seed, same pixels.</summary>
    public static SKBitmap Draw(bool wet, int size, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        var scene = Scene.Random(random, size, wet);

        DrawSky(canvas, scene, size);
        canvas.Save();
        ApplyCamera(canvas, scene, size);
        DrawRoad(canvas, scene, random, size, wet);
        canvas.Restore();
        DrawLightingAndTint(canvas, scene, random, size);
        canvas.Flush();
        return bitmap;
    }

    /// <summary>Draws one image and encodes it as JPEG.</summary>
    public static byte[] DrawJpeg(bool wet, int size, int seed, int quality = 90)
    {
        using var bitmap = Draw(wet, size, seed);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    /// <summary>Everything random about one picture, drawn up front so the drawing code reads top to bottom.</summary>
    private sealed record Scene(
        float Horizon, float Tilt, float Exposure, SKColor Tint, float TintStrength,
        SKColor SkyTop, SKColor SkyBottom, int RoadGray, (int R, int G, int B) RoadTint, bool ShowSky)
    {
        public static Scene Random(Random r, int size, bool wet)
        {
            // Wet asphalt is darker on average, but the ranges overlap and exposure varies more than the shade does.
            var gray = wet ? r.Next(45, 120) : r.Next(70, 150);
            var overcast = r.NextDouble() < 0.5;
            var skyTop = overcast ? Gray(r.Next(120, 200)) : new SKColor((byte)r.Next(60, 130), (byte)r.Next(110, 170), (byte)r.Next(170, 240));
            var skyBottom = overcast ? Gray(r.Next(160, 230)) : new SKColor((byte)r.Next(170, 220), (byte)r.Next(190, 230), (byte)r.Next(210, 250));
            return new Scene(
                Horizon: (float)(size * (0.05 + r.NextDouble() * 0.35)),
                Tilt: (float)(r.NextDouble() * 16 - 8),
                Exposure: (float)(0.55 + r.NextDouble() * 0.9),
                Tint: new SKColor((byte)r.Next(0, 256), (byte)r.Next(0, 256), (byte)r.Next(0, 256)),
                TintStrength: (float)(r.NextDouble() * 0.25),
                SkyTop: skyTop,
                SkyBottom: skyBottom,
                RoadGray: gray,
                RoadTint: (r.Next(-8, 9), r.Next(-8, 9), r.Next(-6, 12)),
                ShowSky: r.NextDouble() < 0.7);
        }
    }

    private static SKColor Gray(int v) => new((byte)v, (byte)v, (byte)v);

    private static void DrawSky(SKCanvas canvas, Scene s, int size)
    {
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, size),
                [s.SkyTop, s.SkyBottom], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, size, size, paint);
    }

    /// <summary>Camera roll and a road that starts at the horizon (a crude perspective: the road narrows upwards).</summary>
    private static void ApplyCamera(SKCanvas canvas, Scene s, int size)
    {
        canvas.RotateDegrees(s.Tilt, size / 2f, size / 2f);
        if (s.ShowSky)
        {
            using var clip = new SKPath();
            clip.MoveTo(-size, s.Horizon);
            clip.LineTo(2 * size, s.Horizon);
            clip.LineTo(2 * size, 2 * size);
            clip.LineTo(-size, 2 * size);
            clip.Close();
            canvas.ClipPath(clip, antialias: true);
        }
    }

    private static void DrawRoad(SKCanvas canvas, Scene s, Random r, int size, bool wet)
    {
        var top = s.ShowSky ? s.Horizon : -size;
        var baseColor = new SKColor(
            Clamp(s.RoadGray + s.RoadTint.R), Clamp(s.RoadGray + s.RoadTint.G), Clamp(s.RoadGray + s.RoadTint.B));
        using (var fill = new SKPaint { Color = baseColor })
        {
            canvas.DrawRect(-size, top, 3 * size, 3 * size, fill);
        }

        // Asphalt grain: fractal noise overlaid; water fills the pores, so wet asphalt shows much less of it.
        var grain = wet ? 0.05f + (float)r.NextDouble() * 0.12f : 0.3f + (float)r.NextDouble() * 0.3f;
        var frequency = (float)(0.12 + r.NextDouble() * 0.18) * 64f / size;
        using (var noise = new SKPaint
        {
            Shader = SKShader.CreatePerlinNoiseFractalNoise(frequency, frequency, 3, r.Next()),
            BlendMode = SKBlendMode.Overlay,
            Color = SKColors.White.WithAlpha((byte)(255 * grain)),
        })
        {
            canvas.DrawRect(-size, top, 3 * size, 3 * size, noise);
        }

        DrawSpeckles(canvas, r, size, top, wet);
        DrawLaneMarkings(canvas, r, size, top, wet);
        if (wet)
        {
            DrawTyreTracks(canvas, r, size, top);
            DrawPuddles(canvas, s, r, size, top);
            DrawSpecularStreaks(canvas, r, size, top);
        }
        else
        {
            DrawCracks(canvas, r, size, top);
        }
    }

    private static void DrawSpeckles(SKCanvas canvas, Random r, int size, float top, bool wet)
    {
        var count = (int)(size * size / (wet ? 120f : 25f));
        using var paint = new SKPaint { IsAntialias = false };
        for (var i = 0; i < count; i++)
        {
            var light = r.NextDouble() < 0.5;
            var v = light ? r.Next(170, 240) : r.Next(10, 50);
            paint.Color = Gray(v).WithAlpha((byte)r.Next(wet ? 40 : 110, wet ? 90 : 230));
            var x = (float)(r.NextDouble() * size);
            var y = top + (float)(r.NextDouble() * (size - top));
            var d = Math.Max(1f, size / 96f * (float)(0.5 + r.NextDouble()));
            canvas.DrawRect(x, y, d, d, paint);
        }
    }

    private static void DrawLaneMarkings(SKCanvas canvas, Random r, int size, float top, bool wet)
    {
        if (r.NextDouble() < 0.35)
        {
            return;
        }

        var vanishX = size * (0.3f + (float)r.NextDouble() * 0.4f);
        var bottomX = size * (0.1f + (float)r.NextDouble() * 0.8f);
        var yellow = r.NextDouble() < 0.3;
        var v = (byte)r.Next(wet ? 150 : 190, 250);
        using var paint = new SKPaint
        {
            Color = yellow ? new SKColor(v, (byte)(v * 0.85), 40) : new SKColor(v, v, v),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = size / 40f,
            IsAntialias = true,
            PathEffect = r.NextDouble() < 0.6 ? SKPathEffect.CreateDash([size / 8f, size / 10f], (float)r.NextDouble() * size) : null,
        };
        canvas.DrawLine(vanishX, top, bottomX, size * 1.2f, paint);
    }

    private static void DrawCracks(SKCanvas canvas, Random r, int size, float top)
    {
        var cracks = r.Next(0, 5);
        using var paint = new SKPaint
        {
            Color = new SKColor(15, 15, 15, (byte)r.Next(150, 230)),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = Math.Max(1f, size / 160f),
            IsAntialias = true,
        };
        for (var c = 0; c < cracks; c++)
        {
            using var path = new SKPath();
            var x = (float)(r.NextDouble() * size);
            var y = top + (float)(r.NextDouble() * (size - top));
            path.MoveTo(x, y);
            var angle = r.NextDouble() * Math.PI * 2;
            for (var i = 0; i < 12; i++)
            {
                angle += (r.NextDouble() - 0.5) * 1.2;
                x += (float)Math.Cos(angle) * size / 24f;
                y += (float)Math.Sin(angle) * size / 24f;
                path.LineTo(x, y);
            }

            canvas.DrawPath(path, paint);
        }
    }

    private static void DrawTyreTracks(SKCanvas canvas, Random r, int size, float top)
    {
        using var paint = new SKPaint
        {
            Color = new SKColor(0, 0, 0, (byte)r.Next(20, 60)),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = size / 10f,
            MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, size / 40f),
        };
        for (var i = 0; i < 2; i++)
        {
            var x = size * (0.2f + (float)r.NextDouble() * 0.6f);
            canvas.DrawLine(x, top, x + (float)(r.NextDouble() - 0.5) * size * 0.4f, size, paint);
        }
    }

    /// <summary>Puddles: soft-edged ellipses that mirror the sky (a smooth gradient, no grain), sometimes with a light.</summary>
    private static void DrawPuddles(SKCanvas canvas, Scene s, Random r, int size, float top)
    {
        var puddles = r.Next(1, 5);
        for (var i = 0; i < puddles; i++)
        {
            var cx = (float)(r.NextDouble() * size);
            var cy = top + (float)((0.2 + r.NextDouble() * 0.8) * (size - top));
            var rx = size * (0.08f + (float)r.NextDouble() * 0.25f);
            var ry = rx * (0.25f + (float)r.NextDouble() * 0.4f);
            var reflection = Blend(s.SkyBottom, SKColors.Black, 0.2f + (float)r.NextDouble() * 0.5f);
            using var paint = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(cx, cy - ry), new SKPoint(cx, cy + ry),
                    [reflection, Blend(s.SkyTop, SKColors.Black, 0.4f + (float)r.NextDouble() * 0.4f)], SKShaderTileMode.Clamp),
                MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, ry * 0.35f + 0.5f),
                IsAntialias = true,
            };
            canvas.DrawOval(cx, cy, rx, ry, paint);
        }
    }

    /// <summary>Specular streaks: street lights and sky mirrored as vertical smears with a bright core.</summary>
    private static void DrawSpecularStreaks(SKCanvas canvas, Random r, int size, float top)
    {
        var streaks = r.Next(1, 4);
        for (var i = 0; i < streaks; i++)
        {
            var x = (float)(r.NextDouble() * size);
            var y = top + (float)(r.NextDouble() * (size - top) * 0.7);
            var w = size * (0.015f + (float)r.NextDouble() * 0.05f);
            var h = size * (0.15f + (float)r.NextDouble() * 0.35f);
            var warm = r.NextDouble() < 0.5;
            var core = warm ? new SKColor(255, 225, 170) : new SKColor(235, 240, 255);
            using var paint = new SKPaint
            {
                Shader = SKShader.CreateRadialGradient(new SKPoint(x, y + h / 2), h / 2,
                    [core.WithAlpha((byte)r.Next(150, 255)), core.WithAlpha(0)], SKShaderTileMode.Clamp),
                MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, w * 0.6f + 0.5f),
                IsAntialias = true,
            };
            canvas.DrawOval(x, y + h / 2, w, h / 2, paint);
        }

        // A broad sheen: the whole wet surface mirrors the sky a little.
        using var sheen = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, top), new SKPoint(0, size),
                [SKColors.White.WithAlpha((byte)r.Next(20, 80)), SKColors.White.WithAlpha(0)], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(-size, top, 3 * size, 3 * size, sheen);
    }

    /// <summary>Exposure and colour cast over the whole frame (both classes alike).</summary>
    private static void DrawLightingAndTint(SKCanvas canvas, Scene s, Random r, int size)
    {
        if (s.Exposure < 1)
        {
            using var dark = new SKPaint { Color = SKColors.Black.WithAlpha((byte)(255 * (1 - s.Exposure))) };
            canvas.DrawRect(0, 0, size, size, dark);
        }
        else
        {
            using var bright = new SKPaint { Color = SKColors.White.WithAlpha((byte)(255 * (s.Exposure - 1) * 0.6f)), BlendMode = SKBlendMode.Screen };
            canvas.DrawRect(0, 0, size, size, bright);
        }

        using var tint = new SKPaint { Color = s.Tint.WithAlpha((byte)(255 * s.TintStrength)), BlendMode = SKBlendMode.SoftLight };
        canvas.DrawRect(0, 0, size, size, tint);

        // Uneven light (vignette or a bright side), random per picture.
        var center = new SKPoint((float)(r.NextDouble() * size), (float)(r.NextDouble() * size));
        using var vignette = new SKPaint
        {
            Shader = SKShader.CreateRadialGradient(center, size * (0.6f + (float)r.NextDouble()),
                [SKColors.Black.WithAlpha(0), SKColors.Black.WithAlpha((byte)r.Next(0, 120))], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, size, size, vignette);
    }

    private static SKColor Blend(SKColor a, SKColor b, float t) => new(
        (byte)(a.Red + (b.Red - a.Red) * t), (byte)(a.Green + (b.Green - a.Green) * t), (byte)(a.Blue + (b.Blue - a.Blue) * t));

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
