using System.Security.Cryptography;
using System.Text;

namespace DryWet.Web.Account;

/// <summary>Checks a presented admin key against <c>Web:AdminApiKey</c> in constant time; an unset key accepts nothing.</summary>
public static class AdminKey
{
    public static bool Matches(string? presented, string configured) =>
        configured.Length > 0 && presented is { Length: > 0 }
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
}
