using System.Text.Json.Nodes;

namespace SmartShare.Node.Api;

/// <summary>lbrynet's paged list answers: <c>page</c> and <c>page_size</c> in, <c>items</c> and totals out.</summary>
internal static class RpcPage
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    /// <summary>One page of <paramref name="all"/>, each item described by <paramref name="describe"/>.</summary>
    public static JsonObject Of<T>(RpcParams parameters, IReadOnlyList<T> all, Func<T, JsonNode?> describe)
    {
        ArgumentNullException.ThrowIfNull(all);
        return Of(parameters, (skip, take) => ([.. all.Skip(skip).Take(take)], all.Count), describe);
    }

    /// <summary>
    /// One page fetched by <paramref name="fetch"/> (given how many to skip and take, it answers those items and how
    /// many there are in all), each item described by <paramref name="describe"/>.
    /// </summary>
    public static JsonObject Of<T>(RpcParams parameters, Func<int, int, (IReadOnlyList<T> Items, int Total)> fetch, Func<T, JsonNode?> describe)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(describe);
        var page = parameters.GetInt32("page", 1, min: 1);
        var pageSize = parameters.GetInt32("page_size", DefaultPageSize, min: 1, max: MaxPageSize);
        var (found, total) = fetch((int)Math.Min(int.MaxValue, (long)(page - 1) * pageSize), pageSize);
        var items = new JsonArray();
        foreach (var item in found)
        {
            items.Add(describe(item));
        }

        return new JsonObject
        {
            ["items"] = items,
            ["page"] = page,
            ["page_size"] = pageSize,
            ["total_items"] = total,
            ["total_pages"] = (total + pageSize - 1) / pageSize,
        };
    }
}
