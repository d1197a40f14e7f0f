using System.Text;

namespace DryWet.Tests.Security;

public class SecretScannerTests
{
    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("xy")]
    public void A_value_is_found_base64_encoded_at_every_alignment(string prefix)
    {
        const string secret = "s3cr3t-Value/with+chars";
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + secret + "-tail"));

        SecretScanner.Find($"data:\n  password: {encoded}\n", [secret]).ShouldNotBeEmpty();
    }

    [Fact]
    public void A_value_is_found_url_encoded_and_plain()
    {
        const string secret = "p@ss word/1";

        SecretScanner.Find("Endpoint=http://user:p%40ss%20word%2F1@minio:9000", [secret]).ShouldHaveSingleItem().ShouldContain("url-encoded");
        SecretScanner.Find("password: p@ss word/1", [secret]).ShouldHaveSingleItem().ShouldContain("plain");
    }

    [Fact]
    public void Other_text_is_clean_and_the_report_masks_the_value()
    {
        SecretScanner.Find("nothing to see: c29tZXRoaW5nIGVsc2U=", ["hunter2-long"]).ShouldBeEmpty();
        SecretScanner.Find("hunter2-long", ["hunter2-long"]).ShouldHaveSingleItem().ShouldNotContain("hunter2-long");
    }
}
